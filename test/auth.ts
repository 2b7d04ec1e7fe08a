import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { TestTenant } from './factories.js';

/** Small HTTP helpers for tests that act as a signed-in user. */

export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}

export async function login(
  app: FastifyInstance,
  body: { tenant: string; email: string; password: string },
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: body, headers });
}

/** Signs the tenant's admin in with a password and answers the session token. */
export async function signInAdmin(app: FastifyInstance, t: TestTenant): Promise<string> {
  const res = await login(app, { tenant: t.tenant.slug, email: t.adminEmail, password: t.adminPassword });
  if (res.statusCode !== 200) throw new Error(`sign-in failed: ${res.statusCode} ${res.body}`);
  return res.json<{ token: string }>().token;
}
