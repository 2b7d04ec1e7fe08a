import type { Kysely } from 'kysely';
import { accessChanged, assignUserAccess } from '../access/access.service.js';
import { recordSecurityEvent } from '../audit/security-events.js';
import type { Database, Language, UserStatus, UserUpdate } from '../db/schema.js';
import * as credentials from './credentials.repository.js';
import { IdentityError } from './identity.errors.js';
import { createUser, origin, preparePassword, toUser, validateName, type IdentitySettings, type User } from './identity.service.js';
import { invitationPasswordHash, isInvitationPending, issueInvitation, resendInvitation } from './invitations.service.js';
import { InvitationError } from './invitations.errors.js';
import type { Authenticated, RequestOrigin } from '../shared/actor.js';
import { clearSecondFactor } from './mfa.service.js';
import * as sessions from './sessions.repository.js';
import { indexUser, loadUser, openUser, sealUserFields, searchUsersByName, type UserRecord } from './user-crypto.js';
import * as users from './users.repository.js';

/** Users of a tenant as its administrators manage them, and as users edit themselves. */

/** A user as the users API answers: also whether they still have to choose a password (an open invitation). */
export type ManagedUser = User & { invitationPending: boolean };

function toManagedUser(record: UserRecord): ManagedUser {
  return { ...toUser(record), invitationPending: isInvitationPending(record.password_hash) };
}

function assertAdmin(actor: Authenticated): void {
  if (!actor.user.isAdmin) throw new IdentityError('admin_required', 'only administrators of this tenant can do this');
}

async function findInTenant(db: Kysely<Database>, settings: IdentitySettings, actor: Authenticated, userId: string): Promise<UserRecord> {
  const user = await loadUser(db, settings.keyring, actor.tenantId, userId);
  if (!user) throw new IdentityError('user_not_found', 'no such user');
  return user;
}

export async function createUserByAdmin(
  db: Kysely<Database>,
  settings: IdentitySettings,
  actor: Authenticated,
  input: {
    email: string;
    name: string;
    /** Required unless `invite`. */
    password?: string;
    /** No password: the user chooses one through an e-mailed link. */
    invite?: boolean;
    isAdmin?: boolean;
    language?: Language;
    roleId?: string;
    profileId?: string;
  } & RequestOrigin,
): Promise<ManagedUser> {
  assertAdmin(actor);
  const invite = input.invite === true;
  if (invite && input.password !== undefined) {
    throw new InvitationError(
      'invitation_with_password',
      'an invited user chooses their own password: send either password or invite, not both',
    );
  }
  // The route refuses a body with neither, as the schema did when password was required.
  const passwordHash = invite
    ? await invitationPasswordHash(settings.argon2)
    : await preparePassword(input.password ?? '', input.email, settings.argon2);
  return db.transaction().execute(async (trx) => {
    const user = await createUser(trx, settings.keyring, actor.tenantId, {
      email: input.email,
      name: input.name,
      passwordHash,
      isAdmin: input.isAdmin ?? false,
      ...(input.language ? { language: input.language } : {}),
    });
    await recordSecurityEvent(trx, settings.keyring, {
      tenantId: actor.tenantId,
      type: 'user.created',
      userId: user.id,
      actorUserId: actor.user.id,
      ...origin(input),
      details: { isAdmin: user.isAdmin, invited: invite },
    });
    const access = { ...(input.roleId ? { roleId: input.roleId } : {}), ...(input.profileId ? { profileId: input.profileId } : {}) };
    await assignUserAccess(trx, settings.keyring, actor, user.id, access, (t) => users.countOtherActiveAdmins(t, actor.tenantId, user.id));
    await accessChanged(trx, actor.tenantId);
    const created = await findInTenant(trx, settings, actor, user.id);
    if (invite) await issueInvitation(trx, settings, actor, created, { ...input, resent: false });
    return toManagedUser(created);
  });
}

export async function listTenantUsers(
  db: Kysely<Database>,
  settings: IdentitySettings,
  actor: Authenticated,
  query?: string,
): Promise<ManagedUser[]> {
  assertAdmin(actor);
  const records = query
    ? await searchUsersByName(db, settings.keyring, actor.tenantId, query)
    : await Promise.all((await users.listUsers(db, actor.tenantId)).map((row) => openUser(db, settings.keyring, row)));
  return records.map(toManagedUser).sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

/** Whether a user id names an active user of the tenant (record owners, assignees). */
export async function isActiveUser(db: Kysely<Database>, tenantId: string, userId: string): Promise<boolean> {
  const row = await users.findUserById(db, tenantId, userId);
  return row !== undefined && row.status === 'active';
}

export async function getTenantUser(
  db: Kysely<Database>,
  settings: IdentitySettings,
  actor: Authenticated,
  userId: string,
): Promise<ManagedUser> {
  if (userId !== actor.user.id) assertAdmin(actor);
  return toManagedUser(await findInTenant(db, settings, actor, userId));
}

/** A new invitation link for a user who has not chosen a password yet; the earlier link stops working. */
export async function resendUserInvitation(
  db: Kysely<Database>,
  settings: IdentitySettings,
  actor: Authenticated,
  userId: string,
  input: RequestOrigin,
): Promise<ManagedUser> {
  assertAdmin(actor);
  return toManagedUser(await resendInvitation(db, settings, actor, userId, input));
}

export interface UserChanges {
  name?: string;
  language?: Language;
  isAdmin?: boolean;
  status?: UserStatus;
  roleId?: string;
  profileId?: string;
}

/** An admin's change to a user. Deactivation ends the user's sessions and tokens at once. */
export async function updateUserByAdmin(
  db: Kysely<Database>,
  settings: IdentitySettings,
  actor: Authenticated,
  userId: string,
  changes: UserChanges,
  input: RequestOrigin,
): Promise<ManagedUser> {
  assertAdmin(actor);
  return db.transaction().execute(async (trx) => {
    const user = await findInTenant(trx, settings, actor, userId);
    const losesAdmin = user.is_admin && user.status === 'active' && (changes.isAdmin === false || changes.status === 'deactivated');
    // Locks the other admins' rows so two admins cannot demote each other at once.
    if (losesAdmin && (await users.countOtherActiveAdmins(trx, actor.tenantId, user.id)) === 0) {
      throw new IdentityError('last_admin', 'this is the last active administrator of the tenant');
    }
    const extra: UserUpdate = {};
    // The flag and the profile say the same: setting the flag returns the user to the built-in profile.
    if (changes.isAdmin !== undefined) Object.assign(extra, { is_admin: changes.isAdmin, profile_id: null });
    if (changes.status !== undefined) extra.status = changes.status;
    await saveProfile(trx, settings, user, changes, extra);
    const access = {
      ...(changes.roleId ? { roleId: changes.roleId } : {}),
      ...(changes.profileId ? { profileId: changes.profileId } : {}),
    };
    await assignUserAccess(trx, settings.keyring, actor, user.id, access, (t) => users.countOtherActiveAdmins(t, actor.tenantId, user.id));
    await accessChanged(trx, actor.tenantId);
    const updated = await findInTenant(trx, settings, actor, user.id);
    if (changes.status === 'deactivated' && user.status !== 'deactivated') {
      await sessions.deleteSessionsOfUser(trx, actor.tenantId, user.id);
      await credentials.revokeAllApiTokens(trx, actor.tenantId, user.id);
    }
    const type =
      changes.status === 'deactivated' && user.status !== 'deactivated'
        ? 'user.deactivated'
        : changes.status === 'active' && user.status !== 'active'
          ? 'user.reactivated'
          : 'user.updated';
    await recordSecurityEvent(trx, settings.keyring, {
      tenantId: actor.tenantId,
      type,
      userId: user.id,
      actorUserId: actor.user.id,
      ...origin(input),
      details: { fields: Object.keys(changes).sort().join(' ') },
    });
    return toManagedUser(updated);
  });
}

/** An admin turns off a user's second factor (lost phone); the user's sessions end. */
export async function resetUserMfa(
  db: Kysely<Database>,
  settings: IdentitySettings,
  actor: Authenticated,
  userId: string,
  input: RequestOrigin,
): Promise<ManagedUser> {
  assertAdmin(actor);
  return db.transaction().execute(async (trx) => {
    const user = await findInTenant(trx, settings, actor, userId);
    await clearSecondFactor(trx, user);
    await sessions.deleteSessionsOfUser(trx, actor.tenantId, user.id);
    await recordSecurityEvent(trx, settings.keyring, {
      tenantId: actor.tenantId,
      type: 'mfa.reset_by_admin',
      userId: user.id,
      actorUserId: actor.user.id,
      ...origin(input),
    });
    return toManagedUser((await loadUser(trx, settings.keyring, actor.tenantId, user.id))!);
  });
}

/** What users may change about themselves. */
export async function updateMe(
  db: Kysely<Database>,
  settings: IdentitySettings,
  actor: Authenticated,
  changes: { name?: string; language?: Language },
): Promise<User> {
  return db
    .transaction()
    .execute(async (trx) => toUser(await saveProfile(trx, settings, await findInTenant(trx, settings, actor, actor.user.id), changes)));
}

/** Writes name (sealed and re-indexed) and language, plus `extra` columns; answers the user as stored. */
async function saveProfile(
  db: Kysely<Database>,
  settings: IdentitySettings,
  user: UserRecord,
  changes: { name?: string; language?: Language },
  extra: UserUpdate = {},
): Promise<UserRecord> {
  const update: UserUpdate = { ...extra };
  const name = changes.name !== undefined ? validateName(changes.name) : undefined;
  if (name !== undefined) Object.assign(update, await sealUserFields(db, settings.keyring, withSubject(user), { name }));
  if (changes.language !== undefined) update.language = changes.language;
  await users.updateUser(db, user.tenant_id, user.id, update);
  if (name !== undefined) await indexUser(db, settings.keyring, { ...withSubject(user), name });
  return (await loadUser(db, settings.keyring, user.tenant_id, user.id))!;
}

function withSubject(user: UserRecord): UserRecord & { subject_id: string } {
  if (!user.subject_id) throw new IdentityError('user_not_found', 'this account has not been moved to encryption yet');
  return { ...user, subject_id: user.subject_id };
}
