import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendProblem } from './problem.js';

/** Where `npm run build -w web` writes the web app. */
export const WEB_DIST_DIR = fileURLToPath(new URL('../../web/dist/', import.meta.url));

/**
 * The web app's policy: everything from this origin, no inline or eval'd
 * scripts, never framed. Mantine sets CSS variables and positions popovers
 * through `style` attributes and injects a <style> element for its colour
 * scheme, so styles allow 'unsafe-inline' (docs/adr/0009-web-app.md).
 */
export const WEB_APP_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

// Vite names built assets after their content: they never change under the same name.
const HASHED_ASSET = /\/assets\/[^/]+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;
const IMMUTABLE = 'public, max-age=31536000, immutable';
const NOT_THE_APP = /^\/(api|healthz|readyz|metrics)(\/|$)/;

export interface WebAppOptions {
  /** The built app; WEB_DIST_DIR unless a test points elsewhere. */
  distDir?: string;
}

/**
 * Serves the built web app at `/`: hashed assets cached for a year, index.html
 * revalidated on every load, and any other GET of a page path (a deep link
 * such as /contacts/x) answered with index.html so the client router takes
 * over. API, health and metrics paths keep their own answers, including the
 * problem+json 404 of an unknown API path.
 */
export async function registerWebApp(app: FastifyInstance, options: WebAppOptions = {}): Promise<void> {
  const distDir = options.distDir ?? WEB_DIST_DIR;
  const built = existsSync(`${distDir}/index.html`);

  if (built) {
    // wildcard: false registers one GET/HEAD route per built file, so the
    // router still tells an unknown path (404) from a wrong method (405).
    await app.register(fastifyStatic, {
      root: distDir,
      wildcard: false,
      index: false,
      cacheControl: false,
      setHeaders: (reply, path) => {
        reply.header('cache-control', HASHED_ASSET.test(path.replaceAll('\\', '/')) ? IMMUTABLE : 'no-cache');
      },
    });
  }

  const sendApp = (request: FastifyRequest, reply: FastifyReply) => {
    if (!built) {
      return sendProblem(
        request,
        reply,
        503,
        'web_app_not_built',
        'the web app has not been built: run `npm run build:web` (npm start does this when web/dist is missing or stale)',
      );
    }
    reply.header('content-security-policy', WEB_APP_CSP);
    reply.header('cache-control', 'no-cache');
    return reply.sendFile('index.html', distDir);
  };

  app.get('/', { schema: { hide: true } }, (request, reply) => sendApp(request, reply));

  // A page path has no route of its own: answer the app before the 404 handler would.
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.url !== undefined) return;
    if (request.method !== 'GET' && request.method !== 'HEAD') return;
    const path = request.url.split('?')[0] ?? '/';
    if (NOT_THE_APP.test(path)) return;
    const lastSegment = path.slice(path.lastIndexOf('/') + 1);
    if (lastSegment.includes('.')) return; // a file that is not there: 404
    await sendApp(request, reply);
    return reply;
  });
}
