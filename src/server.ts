import { randomUUID } from 'node:crypto';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import type { DestinationStream } from 'pino';
import type { Config } from './config.js';
import type { DatabaseHandle } from './db/database.js';
import { signInHooks } from './identity/auth.js';
import { registerIdentityRoutes } from './identity/identity.routes.js';
import type { IdentitySettings } from './identity/identity.service.js';
import type { Keyring } from './keys/keyring.js';
import { registerUserRoutes } from './identity/users.routes.js';
import { registerAccessRoutes } from './access/access.routes.js';
import { registerAuditRoutes } from './audit-trail/audit-trail.routes.js';
import { auditedRecords } from './crm/common/audited-records.js';
import { registerCrmRoutes } from './crm/crm.routes.js';
import { registerPrivacyRoutes } from './privacy/privacy.routes.js';
import { registerFileRoutes } from './files/files.routes.js';
import { openObjectStore } from './storage/open-store.js';
import { registerTenantRoutes } from './tenants/tenants.routes.js';
import { backupStats } from './backup/backup-runs.service.js';
import { registerBackupRoutes } from './backup/backup.routes.js';
import { loggerOptions } from './http/logging.js';
import { buildMetricsServer, installMetrics, registerMetricsRoute } from './http/metrics.js';
import { registerOpsRoutes } from './http/ops.routes.js';
import { boundDateFormats } from './http/formats.js';
import { refuseNulCharacters } from './http/nul-guard.js';
import { answerFrameworkError, installProblemHandlers } from './http/problem.js';
import { registerWebApp } from './http/web-app.js';

export interface ServerDeps {
  config: Config;
  database: DatabaseHandle;
  /** The key hierarchy, initialized (keys/keys.service.ts initializeKeys). */
  keyring: Keyring;
  /** false silences logging (tests); otherwise logs go to logStream or stdout. */
  logger?: false;
  logStream?: DestinationStream;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Resolves when every task started after an answer (e.g. reset mail) has finished. */
    backgroundSettled(): Promise<void>;
    /** The listener serving only /metrics when CUSTODIA_METRICS_PORT is set (its owner listens on it); closes with this server. */
    metricsServer: FastifyInstance | null;
  }
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Assembles the HTTP server: plugins, error handling, metrics and every domain's routes. */
export async function buildServer({ config, database, keyring, logger, logStream }: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: logger ?? loggerOptions(config.logLevel, logStream),
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    // genReqId reads x-request-id itself, so a malformed one is replaced, not trusted.
    requestIdHeader: false,
    // A caller's request id is kept when it is harmless, so logs can be correlated.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true }, onCreate: boundDateFormats },
    // Routing errors (a malformed URL, an over-long path segment) answer problem+json like every other error.
    frameworkErrors: answerFrameworkError,
  });

  // Many clients send `content-type: application/json` with no body on a bare
  // POST (e.g. POST /me/mfa/totp): treat that as no body; schemas that need
  // one still refuse it. Anything else goes through Fastify's own safe parser.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body.toString();
    if (text === '') {
      done(null, undefined);
      return;
    }
    parseJson(request, text, done);
  });

  app.decorateRequest('auth', null);
  app.decorateRequest('cookieSession', null);
  await app.register(cookie);

  // Work that runs after the answer (e.g. reset mail) still finishes before the server closes.
  const pending = new Set<Promise<void>>();
  const background = (task: () => Promise<void>) => {
    const run = task()
      .catch((error: unknown) => app.log.error({ err: error }, 'background task failed'))
      .finally(() => pending.delete(run));
    pending.add(run);
  };
  const settled = async () => {
    await Promise.allSettled([...pending]);
  };
  app.decorate('backgroundSettled', settled);
  app.addHook('onClose', settled);
  installProblemHandlers(app, config.bodyLimitBytes);
  const metrics = installMetrics(app, database.poolStats, () => backupStats(database.db));
  refuseNulCharacters(app);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // Answers carry personal data and secrets (records, sessions, audit, exports, errors):
    // no cache may keep them. Only what sets its own policy (the docs' static files) differs.
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  });

  await app.register(helmet, {
    // The API serves JSON; the docs page gets its own policy from swagger-ui.
    // HSTS and upgrade-insecure-requests are left to the TLS-terminating proxy:
    // the embedded default serves plain HTTP on localhost.
    contentSecurityPolicy: {
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], upgradeInsecureRequests: null },
    },
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Custodia API',
        version: '1',
        description: 'Multi-tenant CRM, GDPR-compliant by construction. Errors are application/problem+json (RFC 9457).',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      },
    },
  });
  await app.register(swaggerUi, {
    routePrefix: '/api/docs',
    staticCSP: true,
    transformSpecificationClone: true,
  });

  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const identity: IdentitySettings = { ...config, keyring };
  registerOpsRoutes(app, database);
  if (config.metrics.port === undefined) {
    registerMetricsRoute(app, metrics, config.metrics.token);
    app.decorate('metricsServer', null);
  } else {
    const metricsServer = buildMetricsServer(metrics, config.metrics.token, app.log);
    app.decorate('metricsServer', metricsServer);
    app.addHook('onClose', async () => {
      await metricsServer.close();
    });
  }
  registerIdentityRoutes(app, database, identity, background);
  registerUserRoutes(app, database, identity);
  // Every other domain's routes get identity's sign-in hooks handed in, so they need not import identity.
  const signIn = signInHooks(database.db, identity);
  registerTenantRoutes(app, database, keyring, signIn);
  registerAccessRoutes(app, database, keyring, signIn);
  registerCrmRoutes(app, database, keyring, signIn, { maxBytes: config.importLimitBytes });
  registerAuditRoutes(app, database, keyring, signIn, auditedRecords);
  registerPrivacyRoutes(app, database, keyring, signIn, config);
  registerBackupRoutes(app, database, keyring, signIn, config);
  registerFileRoutes(app, database, keyring, signIn, {
    store: openObjectStore(config.files.store, config.s3),
    limits: config.files,
  });
  await registerWebApp(app);
  return app;
}
