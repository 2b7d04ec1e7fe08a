import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { NO_ORIGIN, openOrigins, sealOrigin } from '../audit/origin.js';
import type { Authenticated, RequestOrigin, User } from '../shared/actor.js';
import { recordSecurityEvent } from '../audit/security-events.js';
import type { Config } from '../config.js';
import type { ApiTokenScope, Database, Language, UserRow } from '../db/schema.js';
import { KeyError } from '../keys/keys.errors.js';
import type { Keyring } from '../keys/keyring.js';
import { subjectKeyOf } from '../keys/keys.service.js';
import { deriveKey } from '../keys/secret-box.js';
import { isEmailAddress } from '../shared/email.js';
import { newId } from '../shared/ids.js';
import { findActiveTenantBySlug, lockTenant } from '../tenants/tenants.service.js';
import { cachedCredential, rememberCredential, type CachedCredential } from './auth-cache.js';
import * as credentials from './credentials.repository.js';
import { IdentityError } from './identity.errors.js';
import { assertPasswordAcceptable, hashPassword, needsRehash, verifyPassword, type Argon2Params } from './passwords.js';
import * as sessions from './sessions.repository.js';
import { admitAttempt, attemptSucceeded, throttleKeys, type ThrottleKeys } from './throttle.js';
import { findUserByEmail, indexUser, newUserSubject, openUser, sealUserFields, type UserRecord } from './user-crypto.js';
import * as users from './users.repository.js';

export type IdentitySettings = Pick<Config, 'argon2' | 'sessionIdleMinutes' | 'sessionAbsoluteHours' | 'publicUrl'> & {
  /** The key hierarchy: users' fields are encrypted, and local secrets derive from its instance key. */
  keyring: Keyring;
};

export type { User } from '../shared/actor.js';

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

export function normalizeEmail(email: string): string {
  const trimmed = email.trim();
  if (!isEmailAddress(trimmed)) {
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

const invalidCredentials = () => new IdentityError('invalid_credentials', 'tenant, e-mail address or password is incorrect');

/**
 * Password sign-in. Unknown tenant, unknown user and wrong password fail
 * alike; throttled accounts and addresses get 429 even with the right
 * password. With 2FA on, the answer is a challenge for POST /auth/mfa.
 */
export async function signIn(db: Kysely<Database>, settings: IdentitySettings, input: SignInInput): Promise<SignInResult> {
  const slug = input.tenant.trim().toLowerCase();
  const keys = throttleKeys(settings.keyring, slug, input.email, input.ip);
  await admitAttempt(db, keys);

  const tenant = await findActiveTenantBySlug(db, slug);
  const user = tenant ? await findUserByEmail(db, settings.keyring, tenant.id, input.email.trim()) : undefined;
  const passwordOk = await verifyPassword(user?.password_hash ?? (await dummyHashFor(settings.argon2)), input.password);
  if (!tenant || !user || !passwordOk || user.status !== 'active') {
    if (tenant) {
      await recordSecurityEvent(db, settings.keyring, {
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
    // The password was right: the second step counts an attempt of its own.
    await attemptSucceeded(db, keys);
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

  await attemptSucceeded(db, keys, { clearAccount: true });
  const requireEnrolment = tenant.requireMfa;
  return { mfaRequired: false, ...(await startSession(db, settings, user, input, { requireEnrolment, method: 'password' })) };
}

function origin(input: { ip?: string | undefined; userAgent?: string | undefined }): { ip: string | null; userAgent: string | null } {
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
  const id = newId();
  const place = { tenantId: user.tenant_id, table: 'sessions', rowId: id };
  const sealed = await sealOrigin(
    db,
    settings.keyring,
    place,
    user.subject_id,
    origin({ ...input, userAgent: input.userAgent?.slice(0, 512) }),
  );
  await sessions.insertSession(db, user.tenant_id, {
    id,
    user_id: user.id,
    token_hash: hashSecret(token),
    last_seen_at: now,
    idle_expires_at: idle,
    absolute_expires_at: absolute,
    ...(sealed ?? NO_ORIGIN),
    mfa_enrolment_required: options.requireEnrolment,
  });
  await recordSecurityEvent(db, settings.keyring, {
    tenantId: user.tenant_id,
    type: 'sign_in.succeeded',
    userId: user.id,
    ...origin(input),
    details: { method: options.method },
  });
  return { token, user: toUser(user), expiresAt: absolute, mfaEnrolmentRequired: options.requireEnrolment };
}

/** The throttle keys of a known user, the same ones password sign-in uses. */
export async function throttleKeysOf(
  db: Kysely<Database>,
  keyring: Keyring,
  user: UserRecord,
  ip: string | undefined,
): Promise<ThrottleKeys> {
  const slug = (await users.tenantSlugOf(db, user.tenant_id)) ?? '';
  return throttleKeys(keyring, slug, user.email, ip);
}

// --- authentication of requests ------------------------------------------------------

export const API_TOKEN_PREFIX = 'cst_';
const ALL_SCOPES: ApiTokenScope[] = ['read', 'write', 'admin'];

// Writing last_seen on every request would turn every read into a write.
const TOUCH_INTERVAL_MS = 60_000;

const unauthenticated = () => new IdentityError('unauthenticated', 'sign in first: the session or token is missing, expired or revoked');

/** Resolves a bearer secret (session token or API token) to its user, or throws unauthenticated. */
export async function authenticate(db: Kysely<Database>, settings: IdentitySettings, secret: string): Promise<Authenticated> {
  if (secret.length < 20 || secret.length > 200) throw unauthenticated();
  return secret.startsWith(API_TOKEN_PREFIX) ? authenticateToken(db, settings, secret) : authenticateSession(db, settings, secret);
}

type CredentialRow =
  | NonNullable<Awaited<ReturnType<typeof sessions.findSessionForRequest>>>
  | NonNullable<Awaited<ReturnType<typeof credentials.findApiTokenForRequest>>>;

/** The user of a credential row, decrypted, if tenant and user may act right now. */
async function activeUserOf(db: Kysely<Database>, keyring: Keyring, row: CredentialRow): Promise<UserRecord> {
  // The tenant first: a terminated tenant's keys are gone, so its users cannot even be read.
  if (row.tenant_status !== 'active' || row.status !== 'active') throw unauthenticated();
  const { tenant_status: _t, subject_wrapped_key, subject_key_version: _v, subject_tenant_key_version, ...user } = row;
  const userRow: UserRow = {
    tenant_id: user.tenant_id,
    id: user.id,
    email: user.email,
    name: user.name,
    subject_id: user.subject_id,
    email_enc: user.email_enc,
    name_enc: user.name_enc,
    password_hash: user.password_hash,
    is_admin: user.is_admin,
    status: user.status,
    created_at: user.created_at,
    updated_at: user.updated_at,
    language: user.language,
    password_changed_at: user.password_changed_at,
    totp_secret: user.totp_secret,
    totp_pending_secret: user.totp_pending_secret,
    totp_enabled_at: user.totp_enabled_at,
    totp_last_step: user.totp_last_step,
    role_id: user.role_id,
    profile_id: user.profile_id,
  };
  try {
    // The subject key came with the row: opening the fields costs no further query.
    if (userRow.subject_id) {
      await subjectKeyOf(db, keyring, userRow.tenant_id, userRow.subject_id, {
        wrapped_key: subject_wrapped_key,
        tenant_key_version: subject_tenant_key_version,
      });
    }
    return await openUser(db, keyring, userRow);
  } catch (error) {
    if (error instanceof KeyError) throw unauthenticated(); // the user was erased
    throw error;
  }
}

/** A fresh actor per request: per-request state (the access decision) hangs off its identity. */
function actorFrom(c: CachedCredential): Authenticated {
  return {
    tenantId: c.tenantId,
    user: { ...c.user },
    via: c.via,
    ...(c.via === 'session' ? { sessionId: c.credentialId } : { tokenId: c.credentialId }),
    scopes: [...c.scopes],
    mfaEnrolmentRequired: c.mfaEnrolmentRequired,
    userSubjectId: c.userSubjectId,
  };
}

/** A remembered credential, if its user's key is still held (erasure drops it from the keyring). */
function remembered(keyring: Keyring, hash: string, now: number): Authenticated | undefined {
  const hit = cachedCredential(hash, now);
  if (!hit || (hit.userSubjectId !== null && !keyring.subjectKeys.has(hit.tenantId, hit.userSubjectId))) return undefined;
  return actorFrom(hit);
}

async function authenticateSession(db: Kysely<Database>, settings: IdentitySettings, token: string): Promise<Authenticated> {
  const tokenHash = hashSecret(token);
  const cacheKey = tokenHash.toString('base64');
  const now = new Date();
  const hit = remembered(settings.keyring, cacheKey, now.getTime());
  if (hit) return hit;
  const row = await sessions.findSessionForRequest(db, tokenHash);
  if (!row) throw unauthenticated();
  if (row.session_idle_expires_at <= now || row.session_absolute_expires_at <= now) {
    await sessions.deleteSession(db, row.tenant_id, row.session_id);
    throw unauthenticated();
  }
  const user = await activeUserOf(db, settings.keyring, row);
  let lastSeen = row.session_last_seen_at.getTime();
  let idleExpires = row.session_idle_expires_at.getTime();
  if (now.getTime() - lastSeen > TOUCH_INTERVAL_MS) {
    idleExpires = Math.min(now.getTime() + settings.sessionIdleMinutes * 60_000, row.session_absolute_expires_at.getTime());
    lastSeen = now.getTime();
    await sessions.touchSession(db, row.tenant_id, row.session_id, now, new Date(idleExpires));
  }
  const credential: CachedCredential = {
    tenantId: row.tenant_id,
    userId: user.id,
    userSubjectId: user.subject_id,
    user: toUser(user),
    via: 'session',
    credentialId: row.session_id,
    scopes: ALL_SCOPES,
    mfaEnrolmentRequired: row.session_mfa_enrolment_required,
    recheckAt: Math.min(idleExpires, row.session_absolute_expires_at.getTime(), lastSeen + TOUCH_INTERVAL_MS),
  };
  rememberCredential(cacheKey, credential);
  return actorFrom(credential);
}

async function authenticateToken(db: Kysely<Database>, settings: IdentitySettings, secret: string): Promise<Authenticated> {
  const tokenHash = hashSecret(secret);
  const cacheKey = tokenHash.toString('base64');
  const now = new Date();
  const hit = remembered(settings.keyring, cacheKey, now.getTime());
  if (hit) return hit;
  const row = await credentials.findApiTokenForRequest(db, tokenHash);
  if (!row || row.token_revoked_at || row.token_expires_at <= now) throw unauthenticated();
  const user = await activeUserOf(db, settings.keyring, row);
  let lastUsed = row.token_last_used_at?.getTime();
  if (lastUsed === undefined || now.getTime() - lastUsed > TOUCH_INTERVAL_MS) {
    lastUsed = now.getTime();
    await credentials.touchApiToken(db, row.tenant_id, row.token_id, now);
  }
  const credential: CachedCredential = {
    tenantId: row.tenant_id,
    userId: user.id,
    userSubjectId: user.subject_id,
    user: toUser(user),
    via: 'token',
    credentialId: row.token_id,
    // A token never grants more than its user has: admin scope needs an admin.
    scopes: row.token_scopes.filter((s) => s !== 'admin' || user.is_admin),
    mfaEnrolmentRequired: false,
    recheckAt: Math.min(row.token_expires_at.getTime(), lastUsed + TOUCH_INTERVAL_MS),
  };
  rememberCredential(cacheKey, credential);
  return actorFrom(credential);
}

// --- sessions ------------------------------------------------------------------------------

export async function signOut(db: Kysely<Database>, keyring: Keyring, actor: Authenticated, input: RequestOrigin): Promise<void> {
  if (actor.sessionId) await sessions.deleteSession(db, actor.tenantId, actor.sessionId);
  await recordSecurityEvent(db, keyring, { tenantId: actor.tenantId, type: 'sign_out', userId: actor.user.id, ...origin(input) });
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

export async function listMySessions(db: Kysely<Database>, keyring: Keyring, actor: Authenticated): Promise<SessionView[]> {
  const rows = await sessions.listSessionsOfUser(db, actor.tenantId, actor.user.id, new Date());
  const origins = await openOrigins(db, keyring, actor.tenantId, 'sessions', rows);
  return rows.map((r) => ({
    id: r.id,
    createdAt: r.created_at,
    lastSeenAt: r.last_seen_at,
    expiresAt: r.idle_expires_at < r.absolute_expires_at ? r.idle_expires_at : r.absolute_expires_at,
    ip: origins.get(r.id)?.ip ?? null,
    userAgent: origins.get(r.id)?.userAgent ?? null,
    current: r.id === actor.sessionId,
  }));
}

export async function revokeMySession(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  sessionId: string,
  input: RequestOrigin,
): Promise<void> {
  if (!(await sessions.deleteSessionOfUser(db, actor.tenantId, actor.user.id, sessionId))) {
    throw new IdentityError('session_not_found', 'no such session');
  }
  await recordSecurityEvent(db, keyring, {
    tenantId: actor.tenantId,
    type: 'sessions.revoked',
    userId: actor.user.id,
    ...origin(input),
    details: { scope: 'one' },
  });
}

/** Sign-out everywhere: every session of the user ends, this one included. */
export async function signOutEverywhere(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  input: RequestOrigin,
): Promise<number> {
  const ended = await sessions.deleteSessionsOfUser(db, actor.tenantId, actor.user.id);
  await recordSecurityEvent(db, keyring, {
    tenantId: actor.tenantId,
    type: 'sessions.revoked',
    userId: actor.user.id,
    ...origin(input),
    details: { scope: 'all', count: ended },
  });
  return ended;
}

export { invalidCredentials, origin };
