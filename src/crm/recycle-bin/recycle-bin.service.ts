import type { Kysely } from 'kysely';
import { auditActorOf, recordChange, recordRead, systemActor, type AuditActor } from '../../audit/recorder.js';
import type { Database } from '../../db/schema.js';
import type { Authenticated } from '../../shared/actor.js';
import type { Keyring } from '../../keys/keyring.js';
import { eraseSubject } from '../../key-lifecycle/shredding.js';
import { contactKind, type Contact } from '../people/contacts.service.js';
import { CrmError } from '../common/crm.errors.js';
import { decodeCursor, pageOf, pageSize } from '../../shared/cursor.js';
import { leadKind, type Lead } from '../people/leads.service.js';
import type { PersonKind } from '../people/person-records.js';
import { peopleByIds } from '../people/person-records.js';
import * as repo from './recycle-bin.repository.js';
import { BIN_TABLES, type BinTable } from './recycle-bin.repository.js';

/**
 * The recycle bin: deleting a record hides it everywhere; for 30 days it can
 * be restored, then it is purged for good. A person purged is also
 * crypto-shredded once no record of them is left. This is housekeeping, not
 * GDPR erasure: erasure is immediate, final and has its own request.
 */

export const RESTORE_DAYS = 30;
const DAY = 24 * 60 * 60 * 1000;

export const BIN_MODULES: Record<string, BinTable> = {
  contacts: 'contacts',
  leads: 'leads',
  organizations: 'organizations',
  deals: 'deals',
  activities: 'activities',
  notes: 'notes',
  'email-messages': 'email_messages',
};
const MODULE_OF = Object.fromEntries(Object.entries(BIN_MODULES).map(([m, t]) => [t, m])) as Record<BinTable, string>;

export interface BinItem {
  module: string;
  id: string;
  title: string | null;
  deletedAt: Date;
  purgeAfter: Date;
}

function tableOf(module: string): BinTable {
  const table = BIN_MODULES[module];
  if (!table) throw new CrmError('invalid_field', `module must be one of ${Object.keys(BIN_MODULES).join(', ')}`);
  return table;
}

/** What the actor may see in the bin: administrators everything, others what they own or wrote. */
function scope(actor: Authenticated): { ownerId?: string } {
  return actor.user.isAdmin ? {} : { ownerId: actor.user.id };
}

export async function listRecycleBin(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  query: { module?: string; limit?: number; cursor?: string },
): Promise<{ items: BinItem[]; nextCursor: string | null }> {
  const limit = pageSize(query.limit);
  const after = decodeCursor(query.cursor, 'deleted');
  const rows = await repo.listBin(db, actor.tenantId, {
    tables: query.module ? [tableOf(query.module)] : BIN_TABLES,
    ...scope(actor),
    after: after && typeof after.key === 'string' ? { key: after.key, id: after.id } : null,
    limit: limit + 1,
  });
  const page = pageOf(rows, limit, (r) => r.deleted_key, 'deleted');
  const titles = await repo.plainTitles(db, actor.tenantId, page.rows);
  const people = new Map<string, string>();
  const shownSubjects: string[] = [];
  for (const [table, kind] of [
    ['contacts', contactKind],
    ['leads', leadKind],
  ] as const) {
    const ids = page.rows.filter((r) => r.module === table).map((r) => r.id);
    if (ids.length === 0) continue;
    for (const p of await peopleByIds(db, keyring, actor, kind as PersonKind<Contact | Lead, never>, ids, { deleted: true })) {
      people.set(p.id, `${p.firstName} ${p.lastName}`.trim());
      shownSubjects.push(p.subjectId);
    }
  }
  if (shownSubjects.length > 0) {
    // The bin shows deleted people by name: a read of their data like any list.
    await recordRead(db, keyring, {
      tenantId: actor.tenantId,
      actor: auditActorOf(actor),
      action: 'recycle_bin.listed',
      entity: null,
      subjectIds: [...new Set(shownSubjects)],
      fields: ['firstName', 'lastName'],
      details: { count: shownSubjects.length },
    });
  }
  return {
    items: page.rows.map((r) => ({
      module: MODULE_OF[r.module],
      id: r.id,
      title: people.get(r.id) ?? titles.get(r.id) ?? null,
      deletedAt: r.deleted_at,
      purgeAfter: new Date(new Date(r.deleted_at).getTime() + RESTORE_DAYS * DAY),
    })),
    nextCursor: page.nextCursor,
  };
}

async function binned(db: Kysely<Database>, actor: Authenticated, table: BinTable, id: string) {
  const row = await repo.findInBin(db, actor.tenantId, table, id);
  if (!row || (!actor.user.isAdmin && row.owner !== actor.user.id))
    throw new CrmError('not_in_recycle_bin', 'the recycle bin holds no such record');
  return row;
}

/** Takes a record back out of the bin, within the 30 days. */
export async function restoreFromBin(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  module: string,
  id: string,
): Promise<{ module: string; id: string }> {
  const table = tableOf(module);
  return db.transaction().execute(async (trx) => {
    const row = await binned(trx, actor, table, id);
    if (Date.now() - new Date(row.deleted_at).getTime() > RESTORE_DAYS * DAY) {
      throw new CrmError('restore_expired', `records can be restored for ${RESTORE_DAYS} days after deletion`);
    }
    await repo.restore(trx, actor.tenantId, table, id);
    await recordChange(trx, keyring, {
      tenantId: actor.tenantId,
      actor: auditActorOf(actor),
      action: `${table === 'activities' ? 'activity' : table.replace(/s$/, '')}.restored`,
      entity: table,
      entityId: id,
      subjectIds: row.subject_id ? [row.subject_id] : [],
    });
    return { module, id };
  });
}

async function purgeRecord(
  db: Kysely<Database>,
  keyring: Keyring,
  tenantId: string,
  table: BinTable,
  id: string,
  subjectId: string | null,
  actor: AuditActor,
  userId: string | null,
) {
  await repo.purge(db, tenantId, table, id);
  await recordChange(db, keyring, {
    tenantId,
    actor,
    action: `${table === 'activities' ? 'activity' : table.replace(/s$/, '')}.purged`,
    entity: table,
    entityId: id,
    subjectIds: subjectId && (table === 'contacts' || table === 'leads') ? [subjectId] : [],
  });
  // The person's key goes when their last record goes: nothing about them remains readable, in any backup.
  if ((table === 'contacts' || table === 'leads') && subjectId && !(await repo.subjectInUse(db, tenantId, subjectId))) {
    await eraseSubject(db, keyring, tenantId, subjectId, { userId });
  }
}

/** Purges one record from the bin now (administrators). */
export async function purgeFromBin(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Authenticated,
  module: string,
  id: string,
): Promise<void> {
  if (!actor.user.isAdmin) throw new CrmError('admin_required', 'only administrators empty the recycle bin');
  const table = tableOf(module);
  await db.transaction().execute(async (trx) => {
    const row = await binned(trx, actor, table, id);
    await purgeRecord(trx, keyring, actor.tenantId, table, id, row.subject_id, auditActorOf(actor), actor.user.id);
  });
}

/**
 * The daily housekeeping: every record deleted more than 30 days ago, in
 * every tenant, purged. Children before parents (notes before contacts), so
 * one pass leaves nothing dangling. Returns how many records went.
 */
export async function purgeExpired(db: Kysely<Database>, keyring: Keyring, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - RESTORE_DAYS * DAY);
  let purged = 0;
  for (const table of ['notes', 'email_messages', 'activities', 'deals', 'contacts', 'leads', 'organizations'] as const) {
    for (;;) {
      const batch = await repo.expired(db, table, cutoff, 200);
      for (const row of batch) {
        await db.transaction().execute(async (trx) => {
          const found = await repo.findInBin(trx, row.tenant_id, table, row.id);
          if (!found || new Date(found.deleted_at) >= cutoff) return; // restored meanwhile
          await purgeRecord(trx, keyring, row.tenant_id, table, row.id, found.subject_id, systemActor('recycle-bin purge'), null);
          purged++;
        });
      }
      if (batch.length < 200) break;
    }
  }
  return purged;
}
