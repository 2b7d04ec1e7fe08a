import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { newId } from '../shared/ids.js';
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

export async function recordSecurityEvent(db: Kysely<Database>, event: SecurityEvent): Promise<void> {
  await db
    .insertInto('security_events')
    .values({
      tenant_id: event.tenantId,
      id: newId(),
      type: event.type,
      user_id: event.userId ?? null,
      actor_user_id: event.actorUserId ?? null,
      ip: event.ip ?? null,
      user_agent: event.userAgent?.slice(0, 512) ?? null,
      details: JSON.stringify(event.details ?? {}),
    })
    .execute();
  // The same event as a chained audit entry, in the same transaction.
  await recordChange(db, undefined, {
    tenantId: event.tenantId,
    actor: securityActor(event),
    action: event.type,
    entity: event.userId ? 'users' : null,
    entityId: event.userId ?? null,
    details: event.details ?? {},
  });
}

// Attempts by someone not (yet) signed in are anonymous; the user they aimed at is the entity.
const ANONYMOUS: ReadonlySet<SecurityEventType> = new Set(['sign_in.failed', 'sign_in.throttled', 'sign_in.mfa_failed', 'password.reset_requested']);

function securityActor(event: SecurityEvent): AuditActor {
  const origin = { ip: event.ip ?? null, userAgent: event.userAgent ?? null };
  if (event.actorUserId) return { kind: 'user', userId: event.actorUserId, origin };
  if (event.userId && !ANONYMOUS.has(event.type)) return { kind: 'user', userId: event.userId, origin };
  if (event.userId || event.ip) return { kind: 'anonymous', origin };
  return { kind: 'system', label: event.type.startsWith('key.') ? 'keys' : 'custodia', origin };
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
  return rows.map((r) => ({
    id: r.id,
    at: r.at,
    type: r.type,
    userId: r.user_id,
    actorUserId: r.actor_user_id,
    ip: r.ip,
    details: r.details,
  }));
}
