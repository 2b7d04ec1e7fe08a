import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { recordSecurityEvent } from '../audit/security-events.js';
import type { Database, UserRow } from '../db/schema.js';
import { openField, sealField } from '../keys/keys.service.js';
import { newId } from '../shared/ids.js';
import { isMfaRequired } from '../tenants/tenants.service.js';
import * as credentials from './credentials.repository.js';
import { IdentityError } from './identity.errors.js';
import {
  hashSecret,
  MFA_MAX_ATTEMPTS,
  origin,
  startSession,
  throttleKeysOf,
  type IdentitySettings,
  type SignedIn,
} from './identity.service.js';
import type { Authenticated, RequestOrigin } from '../shared/actor.js';
import { verifyPassword } from './passwords.js';
import * as sessions from './sessions.repository.js';
import { admitAttempt, attemptSucceeded } from './throttle.js';
import { matchTotp, newTotpSecret, otpauthUri, qrCodeSvg } from './totp.js';
import { loadUser, type UserRecord } from './user-crypto.js';
import * as users from './users.repository.js';

/**
 * Two-factor sign-in with TOTP and ten single-use recovery codes. The TOTP
 * secret is a personal field of the user: encrypted under the user's own
 * subject key and bound to tenant, row and field, so a secret copied to
 * another user's row does not open, and erasing the user shreds it.
 */

export const RECOVERY_CODE_COUNT = 10;

function totpRef(user: UserRecord, field: 'totp_secret' | 'totp_pending_secret') {
  if (!user.subject_id) throw new IdentityError('unauthenticated', 'this account has not been moved to encryption yet');
  return { tenantId: user.tenant_id, subjectId: user.subject_id, table: 'users', rowId: user.id, field };
}

function sealSecret(
  db: Kysely<Database>,
  settings: IdentitySettings,
  user: UserRecord,
  field: 'totp_secret' | 'totp_pending_secret',
  secret: string,
) {
  return sealField(db, settings.keyring, totpRef(user, field), secret);
}

function openSecret(
  db: Kysely<Database>,
  settings: IdentitySettings,
  user: UserRecord,
  field: 'totp_secret' | 'totp_pending_secret',
  sealed: Buffer,
) {
  return openField(db, settings.keyring, totpRef(user, field), sealed);
}

// 80 random bits in base32, grouped for reading aloud: xxxx-xxxx-xxxx-xxxx.
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

function newRecoveryCode(): string {
  const bytes = randomBytes(16);
  const chars = [...bytes].map((b) => BASE32[b % 32]).join('');
  return chars.match(/.{4}/g)!.join('-');
}

export function normalizeRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, '');
}

function looksLikeRecoveryCode(code: string): boolean {
  return /^[a-z2-7]{16}$/.test(normalizeRecoveryCode(code));
}

async function issueRecoveryCodes(db: Kysely<Database>, user: Pick<UserRow, 'tenant_id' | 'id'>): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  await credentials.replaceRecoveryCodes(
    db,
    user.tenant_id,
    user.id,
    codes.map((code) => ({ id: newId(), hash: hashSecret(normalizeRecoveryCode(code)) })),
  );
  return codes;
}

async function loadActor(db: Kysely<Database>, settings: IdentitySettings, actor: Authenticated): Promise<UserRecord> {
  const user = await loadUser(db, settings.keyring, actor.tenantId, actor.user.id);
  if (!user) throw new IdentityError('unauthenticated', 'sign in first');
  return user;
}

export interface TotpEnrolment {
  secret: string;
  otpauthUri: string;
  qrCodeSvg: string;
}

/** Starts (or restarts) enrolment: a new secret to scan; it counts only once confirmed with a code. */
export async function startTotpEnrolment(db: Kysely<Database>, settings: IdentitySettings, actor: Authenticated): Promise<TotpEnrolment> {
  const user = await loadActor(db, settings, actor);
  if (user.totp_secret) throw new IdentityError('mfa_already_enabled', 'two-factor sign-in is already on; turn it off first');
  const secret = newTotpSecret();
  await users.updateUser(db, user.tenant_id, user.id, {
    totp_pending_secret: await sealSecret(db, settings, user, 'totp_pending_secret', secret),
  });
  const slug = (await users.tenantSlugOf(db, user.tenant_id)) ?? 'custodia';
  const uri = otpauthUri(secret, `${slug}:${user.email}`, 'Custodia');
  return { secret, otpauthUri: uri, qrCodeSvg: await qrCodeSvg(uri) };
}

/** Completes enrolment with a valid code; returns the ten recovery codes, shown this once. */
export async function confirmTotpEnrolment(
  db: Kysely<Database>,
  settings: IdentitySettings,
  actor: Authenticated,
  code: string,
  input: RequestOrigin,
): Promise<string[]> {
  const user = await loadActor(db, settings, actor);
  if (user.totp_secret) throw new IdentityError('mfa_already_enabled', 'two-factor sign-in is already on');
  if (!user.totp_pending_secret) {
    throw new IdentityError('mfa_no_enrolment', 'start enrolment first: POST /api/v1/me/mfa/totp');
  }
  const secret = await openSecret(db, settings, user, 'totp_pending_secret', user.totp_pending_secret);
  const step = matchTotp(secret, code.trim(), new Date());
  if (step === null) throw new IdentityError('mfa_code_invalid', 'the code is not valid; check the clock of your device');
  await users.updateUser(db, user.tenant_id, user.id, {
    totp_secret: await sealSecret(db, settings, user, 'totp_secret', secret),
    totp_pending_secret: null,
    totp_enabled_at: new Date(),
    totp_last_step: step,
  });
  const codes = await issueRecoveryCodes(db, user);
  await sessions.requireEnrolmentForUser(db, user.tenant_id, user.id, false);
  await recordSecurityEvent(db, settings.keyring, { tenantId: user.tenant_id, type: 'mfa.enrolled', userId: user.id, ...origin(input) });
  return codes;
}

type FactorResult = { ok: true; method: 'totp' | 'recovery_code' } | { ok: false };

/** Checks a TOTP code (once per time step, never an older one) or an unused recovery code. */
async function checkSecondFactor(db: Kysely<Database>, settings: IdentitySettings, user: UserRecord, code: string): Promise<FactorResult> {
  if (!user.totp_secret) return { ok: false };
  const trimmed = code.trim();
  if (looksLikeRecoveryCode(trimmed)) {
    const used = await credentials.useRecoveryCode(db, user.tenant_id, user.id, hashSecret(normalizeRecoveryCode(trimmed)));
    return used ? { ok: true, method: 'recovery_code' } : { ok: false };
  }
  const step = matchTotp(await openSecret(db, settings, user, 'totp_secret', user.totp_secret), trimmed, new Date());
  if (step === null) return { ok: false };
  // Conditional update: of two requests with the same code only one wins.
  const accepted = await users.advanceTotpStep(db, user.tenant_id, user.id, step);
  return accepted ? { ok: true, method: 'totp' } : { ok: false };
}

/** Step two of sign-in: the challenge from step one and a TOTP or recovery code. */
export async function completeMfaSignIn(
  db: Kysely<Database>,
  settings: IdentitySettings,
  input: { challenge: string; code: string } & RequestOrigin,
): Promise<SignedIn> {
  const invalid = () => new IdentityError('mfa_challenge_invalid', 'the sign-in challenge is unknown, expired or used up; sign in again');
  const challenge = await credentials.findMfaChallenge(db, hashSecret(input.challenge));
  if (!challenge) throw invalid();
  if (challenge.expires_at <= new Date() || challenge.attempts >= MFA_MAX_ATTEMPTS) {
    await credentials.deleteMfaChallenge(db, challenge.tenant_id, challenge.id);
    throw invalid();
  }
  const user = await loadUser(db, settings.keyring, challenge.tenant_id, challenge.user_id);
  if (!user || user.status !== 'active') throw invalid();
  const keys = await throttleKeysOf(db, settings.keyring, user, input.ip);
  await admitAttempt(db, keys);

  const result = await checkSecondFactor(db, settings, user, input.code);
  if (!result.ok) {
    const attempts = await credentials.countMfaAttempt(db, challenge.tenant_id, challenge.id);
    if (attempts >= MFA_MAX_ATTEMPTS) await credentials.deleteMfaChallenge(db, challenge.tenant_id, challenge.id);
    await recordSecurityEvent(db, settings.keyring, {
      tenantId: user.tenant_id,
      type: 'sign_in.mfa_failed',
      userId: user.id,
      ...origin(input),
      details: { attempts },
    });
    throw new IdentityError('mfa_code_invalid', 'the code is not valid or was already used');
  }
  if (!(await credentials.deleteMfaChallenge(db, challenge.tenant_id, challenge.id))) throw invalid();
  await attemptSucceeded(db, keys, { clearAccount: true });
  if (result.method === 'recovery_code') {
    await recordSecurityEvent(db, settings.keyring, {
      tenantId: user.tenant_id,
      type: 'mfa.recovery_code_used',
      userId: user.id,
      ...origin(input),
      details: { remaining: await credentials.countUnusedRecoveryCodes(db, user.tenant_id, user.id) },
    });
  }
  return startSession(db, settings, user, input, { requireEnrolment: false, method: result.method });
}

/** Password and a current code prove it is the user, not someone at an unlocked screen. */
async function assertPasswordAndCode(
  db: Kysely<Database>,
  settings: IdentitySettings,
  user: UserRecord,
  proof: { password: string; code: string },
  input: RequestOrigin,
): Promise<void> {
  const keys = await throttleKeysOf(db, settings.keyring, user, input.ip);
  await admitAttempt(db, keys);
  if (!(await verifyPassword(user.password_hash, proof.password))) {
    throw new IdentityError('password_incorrect', 'the password is not correct');
  }
  if (!(await checkSecondFactor(db, settings, user, proof.code)).ok) {
    throw new IdentityError('mfa_code_invalid', 'the code is not valid or was already used');
  }
  await attemptSucceeded(db, keys);
}

export async function disableTotp(
  db: Kysely<Database>,
  settings: IdentitySettings,
  actor: Authenticated,
  proof: { password: string; code: string },
  input: RequestOrigin,
): Promise<void> {
  const user = await loadActor(db, settings, actor);
  if (!user.totp_secret) throw new IdentityError('mfa_not_enabled', 'two-factor sign-in is not on');
  if (await isMfaRequired(db, user.tenant_id)) {
    throw new IdentityError('mfa_required_by_tenant', 'your organization requires two-factor sign-in; it cannot be turned off');
  }
  await assertPasswordAndCode(db, settings, user, proof, input);
  await clearSecondFactor(db, user);
  await recordSecurityEvent(db, settings.keyring, { tenantId: user.tenant_id, type: 'mfa.disabled', userId: user.id, ...origin(input) });
}

export async function regenerateRecoveryCodes(
  db: Kysely<Database>,
  settings: IdentitySettings,
  actor: Authenticated,
  proof: { password: string; code: string },
  input: RequestOrigin,
): Promise<string[]> {
  const user = await loadActor(db, settings, actor);
  if (!user.totp_secret) throw new IdentityError('mfa_not_enabled', 'two-factor sign-in is not on');
  await assertPasswordAndCode(db, settings, user, proof, input);
  const codes = await issueRecoveryCodes(db, user);
  await recordSecurityEvent(db, settings.keyring, {
    tenantId: user.tenant_id,
    type: 'mfa.recovery_codes_regenerated',
    userId: user.id,
    ...origin(input),
  });
  return codes;
}

export async function clearSecondFactor(db: Kysely<Database>, user: Pick<UserRow, 'tenant_id' | 'id'>): Promise<void> {
  await users.updateUser(db, user.tenant_id, user.id, {
    totp_secret: null,
    totp_pending_secret: null,
    totp_enabled_at: null,
    totp_last_step: null,
  });
  await credentials.replaceRecoveryCodes(db, user.tenant_id, user.id, []);
}

export async function remainingRecoveryCodes(db: Kysely<Database>, actor: Authenticated): Promise<number> {
  return credentials.countUnusedRecoveryCodes(db, actor.tenantId, actor.user.id);
}
