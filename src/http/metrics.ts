import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PoolStats } from '../db/database.js';
import { installProblemHandlers, sendProblem } from './problem.js';

/** What the backup metrics are made of, per scope (src/backup: backupStats over backup_runs). */
export interface BackupMetricsSource {
  (): Promise<
    Array<{ scope: 'instance' | 'tenant'; failed: number; missed: number; lastSuccessAt: Date | null; lastBytes: number | null }>
  >;
}

/** One registry per server, so several servers in one process (tests) do not collide. */
export function installMetrics(app: FastifyInstance, poolStats: () => PoolStats, backups?: BackupMetricsSource): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'custodia_' });

  const requests = new Counter({
    name: 'custodia_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'custodia_http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by method and route pattern',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  new Gauge({
    name: 'custodia_db_pool_connections',
    help: 'Database pool connections by state (total, idle, waiting callers)',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const stats = poolStats();
      this.set({ state: 'total' }, stats.total);
      this.set({ state: 'idle' }, stats.idle);
      this.set({ state: 'waiting' }, stats.waiting);
    },
  });

  if (backups) installBackupMetrics(registry, backups);

  app.addHook('onResponse', async (request, reply) => {
    // Route patterns only: raw URLs would explode cardinality and may carry personal data.
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
  return registry;
}

/**
 * Backup health, read from the record of runs at each scrape, so every node
 * reports the same figures whichever of them ran the backup.
 */
function installBackupMetrics(registry: Registry, source: BackupMetricsSource): void {
  // The three metrics are collected at once; one query answers them all within a scrape.
  let read: { at: number; stats: ReturnType<BackupMetricsSource> } | undefined;
  const current = () => {
    if (!read || Date.now() - read.at > 1000) read = { at: Date.now(), stats: source().catch(() => []) };
    return read.stats;
  };
  new Counter({
    name: 'custodia_backup_failures_total',
    help: 'Backups that failed or were missed, by scope (instance or tenant) and reason (failed, missed)',
    labelNames: ['scope', 'reason'] as const,
    registers: [registry],
    async collect() {
      const stats = await current();
      this.reset();
      for (const s of stats) {
        this.inc({ scope: s.scope, reason: 'failed' }, s.failed);
        this.inc({ scope: s.scope, reason: 'missed' }, s.missed);
      }
    },
  });
  new Gauge({
    name: 'custodia_backup_last_success_timestamp_seconds',
    help: 'When the newest good backup finished (Unix time), by scope',
    labelNames: ['scope'] as const,
    registers: [registry],
    async collect() {
      const stats = await current();
      this.reset();
      for (const s of stats) if (s.lastSuccessAt) this.set({ scope: s.scope }, s.lastSuccessAt.getTime() / 1000);
    },
  });
  new Gauge({
    name: 'custodia_backup_last_bytes',
    help: 'Bytes stored by the newest good backup, by scope',
    labelNames: ['scope'] as const,
    registers: [registry],
    async collect() {
      const stats = await current();
      this.reset();
      for (const s of stats) if (s.lastBytes !== null) this.set({ scope: s.scope }, s.lastBytes);
    },
  });
}

/**
 * GET /metrics, open to anyone unless a token is configured
 * (CUSTODIA_METRICS_TOKEN): then only `Authorization: Bearer <token>`.
 */
export function registerMetricsRoute(app: FastifyInstance, registry: Registry, token: string | undefined): void {
  const expected = token === undefined ? undefined : digest(token);
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['operations'],
        summary: 'Prometheus metrics',
        description: 'Needs `Authorization: Bearer <CUSTODIA_METRICS_TOKEN>` when that token is configured.',
      },
    },
    async (request, reply) => {
      if (expected) {
        const given = /^Bearer +(\S+) *$/i.exec(request.headers.authorization ?? '')?.[1];
        // Digests of equal length, so the comparison takes the same time whatever was sent.
        if (given === undefined || !timingSafeEqual(digest(given), expected)) {
          reply.header('www-authenticate', 'Bearer realm="metrics"');
          return sendProblem(
            request,
            reply,
            401,
            'metrics_token_required',
            'metrics need the bearer token configured as CUSTODIA_METRICS_TOKEN',
          );
        }
      }
      reply.header('content-type', registry.contentType);
      return registry.metrics();
    },
  );
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** A listener that serves only /metrics (CUSTODIA_METRICS_PORT), e.g. on an address only the scraper reaches. */
export function buildMetricsServer(registry: Registry, token: string | undefined, log: FastifyBaseLogger): FastifyInstance {
  const app = Fastify({ loggerInstance: log.child({ listener: 'metrics' }), forceCloseConnections: true });
  installProblemHandlers(app, 0);
  app.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
  });
  registerMetricsRoute(app, registry, token);
  return app as unknown as FastifyInstance;
}
