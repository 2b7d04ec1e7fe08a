import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { recordSecurityEvent } from '../audit/security-events.js';
import type { Config } from '../config.js';
import type { ApiTokenScope, Database, Language, UserRow } from '../db/schema.js';
import { KeyError } from '../keys/keys.errors.js';
import type { Keyring } from '../keys/keyring.js';
import { deriveKey } from '../keys/secret-box.js';
import { newId } from '../shared/ids.js';
import { findActiveTenantBySlug, isTenantActive, lockTenant } from '../tenants/tenants.service.js';
import * as credentials from './credentials.repository.js';
import { IdentityError } from './identity.errors.js';
import { assertPasswordAcceptable, hashPassword, needsRehash, verifyPassword, type Argon2Params } from './passwords.js';
import * as sessions from './sessions.repository.js';
import { assertNotThrottled, recordFailure, recordSuccess, throttleKeys, type ThrottleKeys } from './throttle.js';
import { findUserByEmail, indexUser, loadUser, newUserSubject, sealUserFields, type UserRecord } from './user-crypto.js';
import * as users from './users.repository.js';

export type IdentitySettings = Pick<
  Config,
  'argon2' | 'sessionIdleMinutes' | 'sessionAbsoluteHours' | 'publicUrl'
> & {
  /** The key hierarchy: users' fields are encrypted, and local secrets derive from its instance key. */
  keyring: Keyring;
};

export interface User {
  id: string;
  tenantId: string;
  email: string;
  name: string;
  isAdmin: boolean;
  status: UserRow['status'];
  language: Language;
  mfaEnabled: boolean;
  /** Null: the tenant's root role. */
  roleId: string | null;
  /** Null: the built-in Administrator or Standard profile, after isAdmin. */
  profileId: string | null;
  createdAt: Date;
}

export function toUser(row: UserRecord): User {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    email: row.email,
    name: row.name,
    isAdmin: row.is_admin,
    status: row.status,
    language: row.language,
    mfaEnabled: row.totp_enabled_at !== null,
    roleId: row.role_id ?? null,
    profileId: row.profile_id ?? null,
    createdAt: row.created_at,
  };
}

/** Who is making a request, as far as security events care. */
export interface RequestOrigin {
  ip?: string;
  userAgent?: string;
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
  language?: Language;
}

export function validateName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > 200) throw new IdentityError('name_invalid', 'name must be 1 to 200 characters');
  return trimmed;
}

/** Creates a user with encrypted name and e-mail; call inside a transaction. */
export async function createUser(db: Kysely<Database>, keyring: Keyring, tenantId: string, input: NewUser): Promise<User> {
  const name = validateName(input.name);
  const email = normalizeEmail(input.email);
  // E-mail addresses are ciphertext, so uniqueness is checked here, one creator at a time per tenant.
  await lockTenant(db, tenantId);
  if (await findUserByEmail(db, keyring, tenantId, email)) {
    throw new IdentityError('email_taken', 'a user with this e-mail address already exists in this tenant');
  }
  const id = newId();
  const subjectId = await newUserSubject(db, keyring, tenantId);
  const ids = { tenant_id: tenantId, id, subject_id: subjectId };
  const sealed = await sealUserFields(db, keyring, ids, { email, name });
  const row = await users.insertUser(db, tenantId, {
    id,
    subject_id: subjectId,
    email: null,
    name: null,
    email_enc: sealed.email_enc!,
    name_enc: sealed.name_enc!,
    password_hash: input.passwordHash,
    is_admin: input.isAdmin,
    status: 'active',
    language: input.language ?? 'en',
    updated_at: new Date(),
  });
  await indexUser(db, keyring, { ...ids, email, name });
  return toUser({ ...row, email, name });
}

// --- secrets --------------------------------------------------------------------

/** A new opaque secret of 256 bits, with an optional recognisable prefix. */
export function newSecret(prefix = ''): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** The CSRF token of a cookie session: derived from its secret, so it cannot be guessed or fixed. */
export function csrfTokenFor(settings: IdentitySettings, sessionToken: string): string {
  return createHmac('sha256', deriveKey(settings.keyring.instanceKey, 'csrf')).update(sessionToken).digest('base64url');
}

export function csrfTokenMatches(settings: IdentitySettings, sessionToken: string, presented: string): boolean {
  const expected = Buffer.from(csrfTokenFor(settings, sessionToken));
  const given = Buffer.from(presented);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

// Verifying against this when the user does not exist keeps the timing of
// "unknown user" close to that of "wrong password".
let dummyHash: Promise<string> | undefined;
function dummyHashFor(params: Argon2Params): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(18).toString('base64'), params);
  return dummyHash;
}

// --- sign-in ----------------------------------------------------------------------

export interface SignInInput extends RequestOrigin {
  tenant: string;
  email: string;
  password: string;
}

export interface SignedIn {
  token: string;
  user: User;
  expiresAt: Date;
  /** The tenant requires 2FA and this user has none: only enrolment is open. */
  mfaEnrolmentRequired: boolean;
}

export type SignInResult = ({ mfaRequired: false } & SignedIn) | { mfaRequired: true; challenge: string; expiresAt: Date };

const MFA_CHALLENGE_MS = 5 * 60 * 1000;
export const MFA_MAX_ATTEMPTS = 5;

const invalidCredentials = () =>
  new IdentityError('invalid_credentials', 'tenant, e-mail address or password is incorrect');

/**
 * Password sign-in. Unknown tenant, unknown user and wrong password fail
 * alike; throttled accounts and addresses get 429 even with the right
 * password. With 2FA on, the answer is a challenge for POST /auth/mfa.
 */
export async function signIn(db: Kysely<Database>, settings: IdentitySettings, input: SignInInput): Promise<SignInResult> {
  const slug = input.tenant.trim().toLowerCase();
  const keys = throttleKeys(slug, input.email, input.ip);
  await assertNotThrottled(db, keys);

  const tenant = await findActiveTenantBySlug(db, slug);
  const user = tenant ? await findUserByEmail(db, settings.keyring, tenant.id, input.email.trim()) : undefined;
  const passwordOk = await verifyPassword(user?.password_hash ?? (await dummyHashFor(settings.argon2)), input.password);
  if (!tenant || !user || !passwordOk || user.status !== 'active') {
    await recordFailure(db, keys);
    if (tenant) {
      await recordSecurityEvent(db, {
        tenantId: tenant.id,
        type: 'sign_in.failed',
        userId: user?.id ?? null,
        ...origin(input),
        details: { reason: !user ? 'unknown_user' : !passwordOk ? 'wrong_password' : 'user_deactivated' },
      });
    }
    throw invalidCredentials();
  }

  if (needsRehash(user.password_hash, settings.argon2)) {
    await users.updatePasswordHash(db, tenant.id, user.id, await hashPassword(input.password, settings.argon2));
  }

  if (user.totp_secret) {
    const challenge = newSecret();
    const expiresAt = new Date(Date.now() + MFA_CHALLENGE_MS);
    await credentials.insertMfaChallenge(db, tenant.id, {
      id: newId(),
      userId: user.id,
      hash: hashSecret(challenge),
      expiresAt,
    });
    return { mfaRequired: true, challenge, expiresAt };
  }

  await recordSuccess(db, keys);
  const requireEnrolment = tenant.requireMfa;
  return { mfaRequired: false, ...(await startSession(db, settings, user, input, { requireEnrolment, method: 'password' })) };
}

function origin(input: RequestOrigin): { ip: string | null; userAgent: string | null } {
  return { ip: input.ip ?? null, userAgent: input.userAgent ?? null };
}

export async function startSession(
  db: Kysely<Database>,
  settings: IdentitySettings,
  user: UserRecord,
  input: RequestOrigin,
  options: { requireEnrolment: boolean; method: 'password' | 'totp' | 'recovery_code' },
): Promise<SignedIn> {
  const token = newSecret();
  const now = new Date();
  const absolute = new Date(now.getTime() + settings.sessionAbsoluteHours * 3_600_000);
  const idle = new Date(Math.min(now.getTime() + settings.sessionIdleMinutes * 60_000, absolute.getTime()));
  await sessions.insertSession(db, user.tenant_id, {
    id: newId(),
    user_id: user.id,
    token_hash: hashSecret(token),
    last_seen_at: now,
    idle_expires_at: idle,
    absolute_expires_at: absolute,
    ip: input.ip ?? null,
    user_agent: input.userAgent?.slice(0, 512) ?? null,
    mfa_enrolment_required: options.requireEnrolment,
  });
  await recordSecurityEvent(db, {
    tenantId: user.tenant_id,
    type: 'sign_in.succeeded',
    userId: user.id,
    ...origin(input),
    details: { method: options.method },
  });
  return { token, user: toUser(user), expiresAt: absolute, mfaEnrolmentRequired: options.requireEnrolment };
}

/** The throttle keys of a known user, the same ones password sign-in uses. */
export async function throttleKeysOf(db: Kysely<Database>, user: UserRecord, ip: string | undefined): Promise<ThrottleKeys> {
  const slug = (await users.tenantSlugOf(db, user.tenant_id)) ?? '';
  return throttleKeys(slug, user.email, ip);
}

// --- authentication of requests ------------------------------------------------------

export interface Authenticated {
  tenantId: string;
  user: User;
  via: 'session' | 'token';
  /** The session, when authenticated by one. */
  sessionId?: string;
  /** The API token, when authenticated by one. */
  tokenId?: string;
  /** What the credential allows; a session allows everything its user may do. */
  scopes: ApiTokenScope[];
  mfaEnrolmentRequired: boolean;
}

export const API_TOKEN_PREFIX = 'cst_';
const ALL_SCOPES: ApiTokenScope[] = ['read', 'write', 'admin'];

// Writing last_seen on every request would turn every read into a write.
const TOUCH_INTERVAL_MS = 60_000;

const unauthenticated = () =>
  new IdentityError('unauthenticated', 'sign in first: the session or token is missing, expired or revoked');

/** Resolves a bearer secret (session token or API token) to its user, or throws unauthenticated. */
export async function authenticate(
  db: Kysely<Database>,
  settings: IdentitySettings,
  secret: string,
): Promise<Authenticated> {
  if (secret.length < 20 || secret.length > 200) throw unauthenticated();
  return secret.startsWith(API_TOKEN_PREFIX) ? authenticateToken(db, settings, secret) : authenticateSession(db, settings, secret);
}

async function activeUser(db: Kysely<Database>, keyring: Keyring, tenantId: string, userId: string): Promise<UserRecord> {
  // The tenant first: a terminated tenant's keys are gone, so its users cannot even be read.
  if (!(await isTenantActive(db, tenantId))) throw unauthenticated();
  let user: UserRecord | undefined;
  try {
    user = await loadUser(db, keyring, tenantId, userId);
  } catch (error) {
    if (error instanceof KeyError) throw unauthenticated(); // the user was erased
    throw error;
  }
  if (!user || user.status !== 'active') throw unauthenticated();
  return user;
}

async function authenticateSession(db: Kysely<Database>, settings: IdentitySettings, token: string): Promise<Authenticated> {
  const session = await sessions.findSessionByTokenHash(db, hashSecret(token));
  const now = new Date();
  if (!session) throw unauthenticated();
  if (session.idle_expires_at <= now || session.absolute_expires_at <= now) {
    await sessions.deleteSession(db, session.tenant_id, session.id);
    throw unauthenticated();
  }
  const user = await activeUser(db, settings.keyring, session.tenant_id, session.user_id);
  if (now.getTime() - session.last_seen_at.getTime() > TOUCH_INTERVAL_MS) {
    const idle = Math.min(now.getTime() + settings.sessionIdleMinutes * 60_000, session.absolute_expires_at.getTime());
    await sessions.touchSession(db, session.tenant_id, session.id, now, new Date(idle));
  }
  return {
    tenantId: session.tenant_id,
    user: toUser(user),
    via: 'session',
    sessionId: session.id,
    scopes: ALL_SCOPES,
    mfaEnrolmentRequired: session.mfa_enrolment_required,
  };
}

async function authenticateToken(db: Kysely<Database>, settings: IdentitySettings, secret: string): Promise<Authenticated> {
  const token = await credentials.findApiTokenByHash(db, hashSecret(secret));
  const now = new Date();
  if (!token || token.revoked_at || token.expires_at <= now) throw unauthenticated();
  const user = await activeUser(db, settings.keyring, token.tenant_id, token.user_id);
  if (!token.last_used_at || now.getTime() - token.last_used_at.getTime() > TOUCH_INTERVAL_MS) {
    await credentials.touchApiToken(db, token.tenant_id, token.id, now);
  }
  return {
    tenantId: token.tenant_id,
    user: toUser(user),
    via: 'token',
    tokenId: token.id,
    // A token never grants more than its user has: admin scope needs an admin.
    scopes: token.scopes.filter((s) => s !== 'admin' || user.is_admin),
    mfaEnrolmentRequired: false,
  };
}

// --- sessions ------------------------------------------------------------------------------

export async function signOut(db: Kysely<Database>, actor: Authenticated, input: RequestOrigin): Promise<void> {
  if (actor.sessionId) await sessions.deleteSession(db, actor.tenantId, actor.sessionId);
  await recordSecurityEvent(db, { tenantId: actor.tenantId, type: 'sign_out', userId: actor.user.id, ...origin(input) });
}

export interface SessionView {
  id: string;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  ip: string | null;
  userAgent: string | null;
  current: boolean;
}

export async function listMySessions(db: Kysely<Database>, actor: Authenticated): Promise<SessionView[]> {
  const rows = await sessions.listSessionsOfUser(db, actor.tenantId, actor.user.id, new Date());
  return rows.map((r) => ({
    id: r.id,
    createdAt: r.created_at,
    lastSeenAt: r.last_seen_at,
    expiresAt: r.idle_expires_at < r.absolute_expires_at ? r.idle_expires_at : r.absolute_expires_at,
    ip: r.ip,
    userAgent: r.user_agent,
    current: r.id === actor.sessionId,
  }));
}

export async function revokeMySession(
  db: Kysely<Database>,
  actor: Authenticated,
  sessionId: string,
  input: RequestOrigin,
): Promise<void> {
  if (!(await sessions.deleteSessionOfUser(db, actor.tenantId, actor.user.id, sessionId))) {
    throw new IdentityError('session_not_found', 'no such session');
  }
  await recordSecurityEvent(db, {
    tenantId: actor.tenantId,
    type: 'sessions.revoked',
    userId: actor.user.id,
    ...origin(input),
    details: { scope: 'one' },
  });
}

/** Sign-out everywhere: every session of the user ends, this one included. */
export async function signOutEverywhere(db: Kysely<Database>, actor: Authenticated, input: RequestOrigin): Promise<number> {
  const ended = await sessions.deleteSessionsOfUser(db, actor.tenantId, actor.user.id);
  await recordSecurityEvent(db, {
    tenantId: actor.tenantId,
    type: 'sessions.revoked',
    userId: actor.user.id,
    ...origin(input),
    details: { scope: 'all', count: ended },
  });
  return ended;
}

export { invalidCredentials, origin };
