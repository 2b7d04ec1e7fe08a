import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Keyring } from '../keys/keyring.js';
import { newId } from '../shared/ids.js';
import * as repo from './audit.repository.js';
import { NO_ORIGIN, openOrigins, sealOrigin } from './origin.js';
import { recordChange, type AuditActor } from './recorder.js';

/**
 * Every security-relevant event goes through recordSecurityEvent, in the
 * transaction of the change it describes. Each is also written as an entry
 * of the tamper-evident audit trail (recorder.ts); callers did not change.
 * Details must never hold personal data or secrets: ids, counts, reasons.
 */

export type SecurityEventType =
  | 'sign_in.succeeded'
  | 'sign_in.failed'
  | 'sign_in.throttled'
  | 'sign_in.mfa_failed'
  | 'sign_out'
  | 'sessions.revoked'
  | 'mfa.enrolled'
  | 'mfa.disabled'
  | 'mfa.reset_by_admin'
  | 'mfa.recovery_code_used'
  | 'mfa.recovery_codes_regenerated'
  | 'password.changed'
  | 'password.reset_requested'
  | 'password.reset_completed'
  | 'api_token.created'
  | 'api_token.revoked'
  | 'user.created'
  | 'user.invited'
  | 'user.updated'
  | 'user.deactivated'
  | 'user.reactivated'
  | 'tenant.created'
  | 'tenant.suspended'
  | 'tenant.reactivated'
  | 'tenant.terminated'
  | 'tenant.security_policy_changed'
  | 'access.changed'
  | 'key.subject_shredded'
  | 'key.tenant_destroyed'
  | 'key.tenant_rotated'
  | 'key.master_rotated';

export interface SecurityEvent {
  tenantId: string;
  type: SecurityEventType;
  /** The user the event is about. */
  userId?: string | null;
  /** Who caused it, when not the user themselves (e.g. an admin). */
  actorUserId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  details?: Record<string, string | number | boolean | null>;
}

export async function recordSecurityEvent(db: Kysely<Database>, keyring: Keyring, event: SecurityEvent): Promise<void> {
  const id = newId();
  const origin = { ip: event.ip ?? null, userAgent: event.userAgent?.slice(0, 512) ?? null };
  const owner = originOwner(event);
  const subjectId = owner && (origin.ip || origin.userAgent) ? await repo.userSubjectId(db, event.tenantId, owner) : null;
  const sealed = await sealOrigin(db, keyring, { tenantId: event.tenantId, table: 'security_events', rowId: id }, subjectId, origin);
  await db
    .insertInto('security_events')
    .values({
      tenant_id: event.tenantId,
      id,
      type: event.type,
      user_id: event.userId ?? null,
      actor_user_id: event.actorUserId ?? null,
      ...(sealed ?? NO_ORIGIN),
      details: JSON.stringify(event.details ?? {}),
    })
    .execute();
  // The same event as a chained audit entry, in the same transaction.
  await recordChange(db, keyring, {
    tenantId: event.tenantId,
    actor: { ...securityActor(event), subjectId },
    action: event.type,
    entity: event.userId ? 'users' : null,
    entityId: event.userId ?? null,
    details: event.details ?? {},
  });
}

// Attempts by someone not (yet) signed in are anonymous; the user they aimed at is the entity.
const ANONYMOUS: ReadonlySet<SecurityEventType> = new Set([
  'sign_in.failed',
  'sign_in.throttled',
  'sign_in.mfa_failed',
  'password.reset_requested',
]);

/** The user whose request it was, whose key seals its origin; none for anonymous attempts. */
function originOwner(event: Pick<SecurityEvent, 'type' | 'userId' | 'actorUserId'>): string | null {
  if (event.actorUserId) return event.actorUserId;
  return event.userId && !ANONYMOUS.has(event.type) ? event.userId : null;
}

function securityActor(event: SecurityEvent): AuditActor {
  const origin = { ip: event.ip ?? null, userAgent: event.userAgent ?? null };
  if (event.actorUserId) return { kind: 'user', userId: event.actorUserId, origin };
  if (event.userId && !ANONYMOUS.has(event.type)) return { kind: 'user', userId: event.userId, origin };
  if (event.userId || event.ip) return { kind: 'anonymous', origin };
  return { kind: 'system', label: event.type.startsWith('key.') ? 'keys' : 'custodia', origin };
}

/**
 * Moves the plaintext origins of events written before migration 0013 under
 * their keys, a batch at a time. Runs at start; cheap when there is nothing to do.
 */
export async function sealLegacyOrigins(db: Kysely<Database>, keyring: Keyring): Promise<number> {
  let moved = 0;
  for (;;) {
    const batch = await repo.legacyOriginEvents(db, 200);
    if (batch.length === 0) return moved;
    for (const row of batch) {
      await db.transaction().execute(async (trx) => {
        const owner = originOwner({ type: row.type as SecurityEventType, userId: row.user_id, actorUserId: row.actor_user_id });
        const subjectId = owner ? await repo.userSubjectId(trx, row.tenant_id, owner) : null;
        const place = { tenantId: row.tenant_id, table: 'security_events', rowId: row.id };
        const sealed = await sealOrigin(trx, keyring, place, subjectId, { ip: row.ip, userAgent: row.user_agent });
        await repo.sealEventOrigin(trx, row.tenant_id, row.id, sealed ?? NO_ORIGIN);
      });
      moved++;
    }
  }
}

export interface SecurityEventView {
  id: string;
  at: Date;
  type: string;
  userId: string | null;
  actorUserId: string | null;
  ip: string | null;
  details: Record<string, unknown>;
}

export async function listSecurityEvents(
  db: Kysely<Database>,
  keyring: Keyring,
  tenantId: string,
  filter: { userId?: string; type?: string; limit?: number } = {},
): Promise<SecurityEventView[]> {
  let query = db
    .selectFrom('security_events')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(Math.min(filter.limit ?? 100, 500));
  if (filter.userId) query = query.where('user_id', '=', filter.userId);
  if (filter.type) query = query.where('type', '=', filter.type);
  const rows = await query.execute();
  const origins = await openOrigins(db, keyring, tenantId, 'security_events', rows);
  return rows.map((r) => ({
    id: r.id,
    at: r.at,
    type: r.type,
    userId: r.user_id,
    actorUserId: r.actor_user_id,
    ip: origins.get(r.id)?.ip ?? null,
    details: r.details,
  }));
}
