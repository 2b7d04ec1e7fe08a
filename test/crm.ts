import { randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { AuditEntryView } from '../src/audit-trail/audit-trail.service.js';
import { bearer, login, signInAdmin } from './auth.js';
import { createTestTenant, type TestTenant } from './factories.js';
import type { TestServer } from './server.js';

/** A tenant with its admin signed in, and JSON verbs that act as that admin. */
export interface CrmSession {
  tt: TestTenant;
  token: string;
  get(url: string): Promise<LightMyRequestResponse>;
  post(url: string, payload?: object): Promise<LightMyRequestResponse>;
  patch(url: string, payload: object, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  del(url: string): Promise<LightMyRequestResponse>;
}

/** The JSON verbs of a session, acting with this token. */
function verbs(t: TestServer, token: string): Pick<CrmSession, 'get' | 'post' | 'patch' | 'del'> {
  const headers = bearer(token);
  return {
    get: (url) => t.app.inject({ url, headers }),
    post: (url, payload) => t.app.inject({ method: 'POST', url, headers, ...(payload ? { payload } : {}) }),
    patch: (url, payload, extra = {}) => t.app.inject({ method: 'PATCH', url, headers: { ...headers, ...extra }, payload }),
    del: (url) => t.app.inject({ method: 'DELETE', url, headers }),
  };
}

export async function crmSession(t: TestServer): Promise<CrmSession> {
  const tt = await createTestTenant(t.handle.db);
  const token = await signInAdmin(t.app, tt);
  return { tt, token, ...verbs(t, token) };
}

/** An audit entry as GET /api/v1/audit answers it (JSON: times as strings; values as old/new pairs). */
export type AuditEntry = Omit<AuditEntryView, 'at' | 'changes'> & {
  at: string;
  changes?: Record<string, { old?: unknown; new?: unknown }> | null;
};

/** The audit trail as the session's admin sees it, filtered by a query string (up to 200 entries). */
export async function auditEntries(s: CrmSession, query: string): Promise<AuditEntry[]> {
  const res = await s.get(`/api/v1/audit?limit=200&${query}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().items as AuditEntry[];
}

/** A user the session's admin creates (in a role, with a profile, when given), signed in, with the same JSON verbs. */
export async function memberSession(
  t: TestServer,
  admin: CrmSession,
  body: { roleId?: string; profileId?: string; name?: string } = {},
): Promise<CrmSession & { id: string }> {
  const email = `u-${randomBytes(5).toString('hex')}@example.test`;
  const password = `Pw-${randomBytes(9).toString('hex')}`;
  const created = await admin.post('/api/v1/users', { email, name: body.name ?? 'User', password, ...body });
  expect(created.statusCode, created.body).toBe(201);
  const signedIn = await login(t.app, { tenant: admin.tt.tenant.slug, email, password });
  expect(signedIn.statusCode, signedIn.body).toBe(200);
  const token = signedIn.json<{ token: string }>().token;
  return { id: created.json<{ id: string }>().id, tt: admin.tt, token, ...verbs(t, token) };
}
