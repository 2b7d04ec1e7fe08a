import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import type { Database, UserRow } from '../db/schema.js';
import { newId } from '../shared/ids.js';
import { findActiveTenantBySlug, isTenantActive } from '../tenants/tenants.service.js';
import { IdentityError } from './identity.errors.js';
import { assertPasswordAcceptable, hashPassword, needsRehash, verifyPassword, type Argon2Params } from './passwords.js';
import * as sessions from './sessions.repository.js';
import * as users from './users.repository.js';

export type IdentitySettings = Pick<Config, 'argon2' | 'sessionIdleMinutes' | 'sessionAbsoluteHours'>;

export interface User {
  id: string;
  tenantId: string;
  email: string;
  name: string;
  isAdmin: boolean;
  status: UserRow['status'];
  createdAt: Date;
}

export function toUser(row: UserRow): User {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    email: row.email,
    name: row.name,
    isAdmin: row.is_admin,
    status: row.status,
    createdAt: row.created_at,
  };
}

// Deliberately simple: one @, something on both sides, a dot in the domain.
// Deliverability is proven by mail, not by a regular expression.
const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]{2,}$/;

export function normalizeEmail(email: string): string {
  const trimmed = email.trim();
  if (trimmed.length > 254 || !EMAIL.test(trimmed)) {
    throw new IdentityError('email_invalid', 'e-mail address is not valid');
  }
  return trimmed;
}

/** Checks the password policy and hashes it; slow on purpose, so call it outside transactions. */
export async function preparePassword(password: string, email: string, params: Argon2Params): Promise<string> {
  assertPasswordAcceptable(password, email);
  return hashPassword(password, params);
}

export interface NewUser {
  email: string;
  name: string;
  passwordHash: string;
  isAdmin: boolean;
}

export async function createUser(db: Kysely<Database>, tenantId: string, input: NewUser): Promise<User> {
  const name = input.name.trim();
  if (name.length < 1 || name.length > 200) throw new IdentityError('name_invalid', 'name must be 1 to 200 characters');
  const email = normalizeEmail(input.email);
  if (await users.findUserByEmail(db, tenantId, email)) {
    throw new IdentityError('email_taken', 'a user with this e-mail address already exists in this tenant');
  }
  const row = await users.insertUser(db, tenantId, {
    id: newId(),
    email,
    name,
    password_hash: input.passwordHash,
    is_admin: input.isAdmin,
    status: 'active',
    updated_at: new Date(),
  });
  return toUser(row);
}

// Verifying against this when the user does not exist keeps the timing of
// "unknown user" close to that of "wrong password".
let dummyHash: Promise<string> | undefined;
function dummyHashFor(params: Argon2Params): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(18).toString('base64'), params);
  return dummyHash;
}

function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export interface SignInInput {
  tenant: string;
  email: string;
  password: string;
  ip?: string;
  userAgent?: string;
}

export interface SignedIn {
  token: string;
  user: User;
  expiresAt: Date;
}

/** Password sign-in. Unknown tenant, unknown user and wrong password fail alike. */
export async function signIn(db: Kysely<Database>, settings: IdentitySettings, input: SignInInput): Promise<SignedIn> {
  const failure = () => new IdentityError('invalid_credentials', 'tenant, e-mail address or password is incorrect');
  const tenant = await findActiveTenantBySlug(db, input.tenant.trim().toLowerCase());
  const user = tenant ? await users.findUserByEmail(db, tenant.id, input.email.trim()) : undefined;
  const passwordOk = await verifyPassword(user?.password_hash ?? (await dummyHashFor(settings.argon2)), input.password);
  if (!tenant || !user || !passwordOk || user.status !== 'active') throw failure();

  if (needsRehash(user.password_hash, settings.argon2)) {
    await users.updatePasswordHash(db, tenant.id, user.id, await hashPassword(input.password, settings.argon2));
  }

  const token = randomBytes(32).toString('base64url');
  const now = new Date();
  const absolute = new Date(now.getTime() + settings.sessionAbsoluteHours * 3_600_000);
  const idle = new Date(Math.min(now.getTime() + settings.sessionIdleMinutes * 60_000, absolute.getTime()));
  await sessions.insertSession(db, tenant.id, {
    id: newId(),
    user_id: user.id,
    token_hash: hashToken(token),
    last_seen_at: now,
    idle_expires_at: idle,
    absolute_expires_at: absolute,
    ip: input.ip ?? null,
    user_agent: input.userAgent?.slice(0, 512) ?? null,
  });
  return { token, user: toUser(user), expiresAt: absolute };
}

export interface Authenticated {
  tenantId: string;
  sessionId: string;
  user: User;
}

// Writing last_seen on every request would turn every read into a write.
const TOUCH_INTERVAL_MS = 60_000;

/** Resolves a bearer token to its session and user, or throws unauthenticated. */
export async function authenticate(
  db: Kysely<Database>,
  settings: IdentitySettings,
  token: string,
): Promise<Authenticated> {
  const failure = () => new IdentityError('unauthenticated', 'sign in first: the session is missing, expired or ended');
  if (token.length < 20 || token.length > 200) throw failure();
  const session = await sessions.findSessionByTokenHash(db, hashToken(token));
  const now = new Date();
  if (!session) throw failure();
  if (session.idle_expires_at <= now || session.absolute_expires_at <= now) {
    await sessions.deleteSession(db, session.tenant_id, session.id);
    throw failure();
  }
  const user = await users.findUserById(db, session.tenant_id, session.user_id);
  if (!user || user.status !== 'active' || !(await isTenantActive(db, session.tenant_id))) throw failure();

  if (now.getTime() - session.last_seen_at.getTime() > TOUCH_INTERVAL_MS) {
    const idle = Math.min(now.getTime() + settings.sessionIdleMinutes * 60_000, session.absolute_expires_at.getTime());
    await sessions.touchSession(db, session.tenant_id, session.id, now, new Date(idle));
  }
  return { tenantId: session.tenant_id, sessionId: session.id, user: toUser(user) };
}

export async function signOut(db: Kysely<Database>, tenantId: string, sessionId: string): Promise<void> {
  await sessions.deleteSession(db, tenantId, sessionId);
}
