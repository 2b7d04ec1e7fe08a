import type { Kysely } from 'kysely';
import { recordSecurityEvent } from '../audit/security-events.js';
import type { Database } from '../db/schema.js';
import { enqueueMail } from '../mail/mail.service.js';
import { newId } from '../shared/ids.js';
import { findActiveTenantBySlug } from '../tenants/tenants.service.js';
import * as credentials from './credentials.repository.js';
import { IdentityError } from './identity.errors.js';
import { hashSecret, newSecret, origin, throttleKeysOf, type IdentitySettings } from './identity.service.js';
import { isInvitationPending } from './invitations.service.js';
import type { Authenticated, RequestOrigin } from '../shared/actor.js';
import { assertPasswordAcceptable, hashPassword, verifyPassword } from './passwords.js';
import * as sessions from './sessions.repository.js';
import { admitAttempt, attemptSucceeded } from './throttle.js';
import { findUserByEmail, loadUser } from './user-crypto.js';
import * as users from './users.repository.js';

export const RESET_TOKEN_MINUTES = 30;
// More requests than this an hour for one user send no more mail (the
// answer stays 202), so the form cannot be used to flood someone's inbox.
const RESETS_PER_HOUR = 3;

/** Changes the user's own password; every other session of the user ends. */
export async function changePassword(
  db: Kysely<Database>,
  settings: IdentitySettings,
  actor: Authenticated,
  input: { currentPassword: string; newPassword: string } & RequestOrigin,
): Promise<void> {
  const user = await loadUser(db, settings.keyring, actor.tenantId, actor.user.id);
  if (!user) throw new IdentityError('unauthenticated', 'sign in first');
  const keys = await throttleKeysOf(db, settings.keyring, user, input.ip);
  await admitAttempt(db, keys);
  if (!(await verifyPassword(user.password_hash, input.currentPassword))) {
    throw new IdentityError('password_incorrect', 'the current password is not correct');
  }
  await attemptSucceeded(db, keys);
  assertPasswordAcceptable(input.newPassword, user.email);
  const hash = await hashPassword(input.newPassword, settings.argon2);
  await db.transaction().execute(async (trx) => {
    await users.updatePasswordHash(trx, user.tenant_id, user.id, hash);
    await sessions.deleteSessionsOfUser(trx, user.tenant_id, user.id, actor.sessionId);
    await credentials.expirePasswordResets(trx, user.tenant_id, user.id, new Date());
    await recordSecurityEvent(trx, settings.keyring, {
      tenantId: user.tenant_id,
      type: 'password.changed',
      userId: user.id,
      ...origin(input),
    });
    await enqueueMail(trx, {
      tenantId: user.tenant_id,
      to: user.email,
      template: 'password_changed',
      locale: user.language,
      keyring: settings.keyring,
      data: { name: user.name },
    });
  });
}

/**
 * Sends a single-use reset link when the tenant and user exist and are
 * active; does nothing otherwise. The caller answers 202 either way.
 */
export async function requestPasswordReset(
  db: Kysely<Database>,
  settings: IdentitySettings,
  input: { tenant: string; email: string } & RequestOrigin,
): Promise<void> {
  const tenant = await findActiveTenantBySlug(db, input.tenant.trim().toLowerCase());
  if (!tenant) return;
  const user = await findUserByEmail(db, settings.keyring, tenant.id, input.email.trim());
  if (!user || user.status !== 'active') return;
  const now = new Date();
  const token = newSecret();
  await db.transaction().execute(async (trx) => {
    // The user's row lock makes concurrent requests count one after another.
    await users.lockUser(trx, tenant.id, user.id);
    const recent = await credentials.countRecentPasswordResets(trx, tenant.id, user.id, new Date(now.getTime() - 3_600_000));
    if (recent >= RESETS_PER_HOUR) return;
    await credentials.insertPasswordReset(trx, tenant.id, {
      id: newId(),
      userId: user.id,
      hash: hashSecret(token),
      expiresAt: new Date(now.getTime() + RESET_TOKEN_MINUTES * 60_000),
    });
    await recordSecurityEvent(trx, settings.keyring, {
      tenantId: tenant.id,
      type: 'password.reset_requested',
      userId: user.id,
      ...origin(input),
    });
    // The token rides in the fragment: browsers never send it to a server or a Referer.
    await enqueueMail(trx, {
      tenantId: tenant.id,
      to: user.email,
      template: 'password_reset',
      locale: user.language,
      keyring: settings.keyring,
      data: { name: user.name, resetUrl: `${settings.publicUrl}/reset-password#token=${token}`, expiresMinutes: RESET_TOKEN_MINUTES },
    });
  });
}

/**
 * Sets a new password with a reset token; the token works once and every
 * session of the user ends. An invitation's link is such a token too.
 */
export async function confirmPasswordReset(
  db: Kysely<Database>,
  settings: IdentitySettings,
  input: { token: string; password: string } & RequestOrigin,
): Promise<void> {
  const invalid = () => new IdentityError('reset_token_invalid', 'the reset link is unknown, expired or already used; request a new one');
  const reset = await credentials.findPasswordReset(db, hashSecret(input.token.trim()));
  const now = new Date();
  if (!reset || reset.used_at || reset.expires_at <= now) throw invalid();
  const user = await loadUser(db, settings.keyring, reset.tenant_id, reset.user_id);
  if (!user || user.status !== 'active') throw invalid();
  assertPasswordAcceptable(input.password, user.email);
  const hash = await hashPassword(input.password, settings.argon2);
  await db.transaction().execute(async (trx) => {
    if (!(await credentials.consumePasswordReset(trx, reset.tenant_id, reset.id, now))) throw invalid();
    await credentials.expirePasswordResets(trx, reset.tenant_id, user.id, now);
    await users.updatePasswordHash(trx, user.tenant_id, user.id, hash);
    await sessions.deleteSessionsOfUser(trx, user.tenant_id, user.id);
    await recordSecurityEvent(trx, settings.keyring, {
      tenantId: user.tenant_id,
      type: 'password.reset_completed',
      userId: user.id,
      ...origin(input),
      // The first password of an invited user: the invitation is accepted.
      details: { invitation: isInvitationPending(user.password_hash) },
    });
  });
}
