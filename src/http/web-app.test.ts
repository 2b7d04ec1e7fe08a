import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import helmet from '@fastify/helmet';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestServer } from '../../test/server.js';
import { installProblemHandlers } from './problem.js';
import { registerWebApp } from './web-app.js';

// The whole server: whatever state web/dist is in, the API answers as before.
const t = useTestServer();

describe('the API beside the web app', () => {
  it('answers an unknown API path with its problem+json 404, for any method', async () => {
    for (const method of ['GET', 'POST', 'DELETE'] as const) {
      const res = await t.app.inject({ method, url: '/api/v1/nope' });
      expect(res.statusCode).toBe(404);
      expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ status: 404, code: 'route_not_found' });
    }
  });

  it('keeps the API headers: no-store and the API CSP', async () => {
    const res = await t.app.inject('/api/v1/me');
    expect(res.statusCode).toBe(401);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect((await t.app.inject('/healthz')).json()).toEqual({ status: 'ok' });
  });

  it('answers a wrong method on a known API path with 405, as before', async () => {
    const res = await t.app.inject({ method: 'DELETE', url: '/api/v1/auth/login' });
    expect(res.statusCode).toBe(405);
  });
});

// A built app of known content, served the way server.ts serves web/dist.
async function appServing(distDir: string): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  installProblemHandlers(app, 1024);
  app.addHook('onSend', async (_request, reply) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  });
  await app.register(helmet, { contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } } });
  app.get('/api/v1/ping', async () => ({ pong: true }));
  await registerWebApp(app, { distDir });
  await app.ready();
  return app;
}

describe('serving the built web app', () => {
  let dir: string;
  let app: FastifyInstance;
  const INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-AbCd1234.js"></script></head><body></body></html>';

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'custodia-web-'));
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(path.join(dir, 'index.html'), INDEX);
    writeFileSync(path.join(dir, 'assets', 'index-AbCd1234.js'), 'console.log(1)');
    writeFileSync(path.join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    app = await appServing(dir);
  });
  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves index.html at / and at a deep link, revalidated on every load', async () => {
    for (const url of ['/', '/contacts/x', '/account/two-factor?x=1']) {
      const res = await app.inject(url);
      expect(res.statusCode).toBe(200);
      expect(String(res.headers['content-type'])).toMatch(/^text\/html/);
      expect(res.body).toBe(INDEX);
      expect(res.headers['cache-control']).toBe('no-cache');
    }
  });

  it('gives the app a CSP of its own: scripts only from self, no eval, never framed', async () => {
    const csp = String((await app.inject('/contacts/x')).headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("base-uri 'self'");
    expect(csp).not.toContain('unsafe-eval');
    expect(/script-src[^;]*unsafe-inline/.test(csp)).toBe(false);
  });

  it('caches hashed assets for a year and other files not', async () => {
    const asset = await app.inject('/assets/index-AbCd1234.js');
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const icon = await app.inject('/favicon.svg');
    expect(icon.statusCode).toBe(200);
    expect(icon.headers['cache-control']).toBe('no-cache');
  });

  it('answers a missing file, an unknown API path and a page POST with problem+json, not the app', async () => {
    for (const [method, url] of [
      ['GET', '/assets/gone-AbCd1234.js'],
      ['GET', '/api/v1/nope'],
      ['GET', '/api'],
      ['POST', '/contacts'],
    ] as const) {
      const res = await app.inject({ method, url });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
    }
    const api = await app.inject('/api/v1/ping');
    expect(api.headers['cache-control']).toBe('no-store');
    expect(api.headers['content-security-policy']).toContain("default-src 'none'");
  });
});

describe('without a build', () => {
  it('still starts and says how to build at / and at deep links', async () => {
    const app = await appServing(path.join(tmpdir(), 'custodia-web-missing-dir'));
    try {
      for (const url of ['/', '/contacts']) {
        const res = await app.inject(url);
        expect(res.statusCode).toBe(503);
        expect(res.json()).toMatchObject({ code: 'web_app_not_built' });
        expect(res.json().detail).toContain('npm run build:web');
      }
      expect((await app.inject('/api/v1/ping')).json()).toEqual({ pong: true });
    } finally {
      await app.close();
    }
  });
});
