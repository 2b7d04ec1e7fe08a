import { randomBytes } from 'node:crypto';
import { hash } from '@node-rs/argon2';
import type { Kysely } from 'kysely';
import { recordSecurityEvent } from '../audit/security-events.js';
import type { Database } from '../db/schema.js';
import { enqueueMail } from '../mail/mail.service.js';
import type { Authenticated, RequestOrigin } from '../shared/actor.js';
import { newId } from '../shared/ids.js';
import * as credentials from './credentials.repository.js';
import { IdentityError } from './identity.errors.js';
import { hashSecret, newSecret, origin, type IdentitySettings } from './identity.service.js';
import { InvitationError } from './invitations.errors.js';
import type { Argon2Params } from './passwords.js';
import { loadUser, type UserRecord } from './user-crypto.js';
import * as users from './users.repository.js';

/**
 * Invitations: an administrator makes an account without a password, and its
 * user chooses one through an e-mailed link. The link is a password-reset
 * token (single use, stored hashed) that lives longer than a reset's.
 */

export const INVITATION_TOKEN_DAYS = 7;

// An invited user has a real argon2id hash of a random secret that is thrown
// away: no password verifies against it, and a sign-in attempt costs what a
// wrong password costs, so timing does not tell "invited" from "wrong
// password". Its salt is this fixed marker instead of 16 random bytes, which
// is how the account is known to be waiting for its user's own password
// (a random salt matches it with probability 2^-128). The marker weakens
// nothing: the hashed secret is 256 random bits that nobody ever knew.
const INVITATION_SALT = Buffer.from('custodia:invited', 'utf8');
const INVITATION_SALT_PHC = INVITATION_SALT.toString('base64').replace(/=+$/, '');

/** The stored hash of an account that waits for its user's own password. */
export function invitationPasswordHash(params: Argon2Params): Promise<string> {
  return hash(randomBytes(32), {
    algorithm: 2, // argon2id (a const enum in @node-rs/argon2; see passwords.ts)
    memoryCost: params.memoryKiB,
    timeCost: params.timeCost,
    parallelism: params.parallelism,
    salt: INVITATION_SALT,
  });
}

/** True while the user has not chosen a password of their own (the PHC string's salt is the marker). */
export function isInvitationPending(passwordHash: string): boolean {
  return passwordHash.split('$')[4] === INVITATION_SALT_PHC;
}

/**
 * Issues a new invitation link for a user who has no password yet and queues
 * its mail; earlier links of the user stop working. Call inside the
 * transaction that made or found the user.
 */
export async function issueInvitation(
  trx: Kysely<Database>,
  settings: IdentitySettings,
  actor: Authenticated,
  user: UserRecord,
  input: RequestOrigin & { resent: boolean },
): Promise<void> {
  const now = new Date();
  const token = newSecret();
  await credentials.expirePasswordResets(trx, user.tenant_id, user.id, now);
  await credentials.insertPasswordReset(trx, user.tenant_id, {
    id: newId(),
    userId: user.id,
    hash: hashSecret(token),
    expiresAt: new Date(now.getTime() + INVITATION_TOKEN_DAYS * 86_400_000),
  });
  await recordSecurityEvent(trx, settings.keyring, {
    tenantId: user.tenant_id,
    type: 'user.invited',
    userId: user.id,
    actorUserId: actor.user.id,
    ...origin(input),
    details: { resent: input.resent, expiresDays: INVITATION_TOKEN_DAYS },
  });
  // The token rides in the fragment, as a reset's does: browsers never send it to a server or a Referer.
  // `invitation=1` only lets the page greet a new user instead of speaking of a reset.
  await enqueueMail(trx, {
    tenantId: user.tenant_id,
    to: user.email,
    template: 'invitation',
    locale: user.language,
    keyring: settings.keyring,
    data: {
      name: user.name,
      inviterName: actor.user.name,
      tenantName: (await users.tenantNameOf(trx, user.tenant_id)) ?? '',
      inviteUrl: `${settings.publicUrl}/reset-password#token=${token}&invitation=1`,
      expiresDays: INVITATION_TOKEN_DAYS,
    },
  });
}

/** Sends a user who has not chosen a password yet a new invitation link (admins). */
export async function resendInvitation(
  db: Kysely<Database>,
  settings: IdentitySettings,
  actor: Authenticated,
  userId: string,
  input: RequestOrigin,
): Promise<UserRecord> {
  if (!actor.user.isAdmin) throw new IdentityError('admin_required', 'only administrators of this tenant can do this');
  return db.transaction().execute(async (trx) => {
    // The row lock makes two resends one after the other, so only the last link works.
    await users.lockUser(trx, actor.tenantId, userId);
    const user = await loadUser(trx, settings.keyring, actor.tenantId, userId);
    if (!user) throw new IdentityError('user_not_found', 'no such user');
    if (!isInvitationPending(user.password_hash)) {
      throw new InvitationError('invitation_not_pending', 'this user has chosen a password already; they can reset it themselves');
    }
    if (user.status !== 'active') throw new InvitationError('invitation_not_pending', 'this user is deactivated; reactivate them first');
    await issueInvitation(trx, settings, actor, user, { ...input, resent: true });
    return user;
  });
}
