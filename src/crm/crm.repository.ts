import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

// The only SQL for contacts and notes. Every function takes the tenant scope.

type ContactValues = {
  first_name_enc: Buffer;
  last_name_enc: Buffer;
  emails_enc: Buffer;
  phones_enc: Buffer;
  organization_id: string | null;
};

export async function insertContact(
  db: Kysely<Database>,
  tenantId: string,
  row: ContactValues & { id: string; subject_id: string; owner_id: string },
) {
  return db
    .insertInto('contacts')
    .values({ ...row, tenant_id: tenantId, updated_at: new Date() })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findContact(db: Kysely<Database>, tenantId: string, id: string) {
  return db
    .selectFrom('contacts')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
}

/** A page in id order (UUIDv7: creation order); ids restrict to blind-index candidates. */
export async function listContacts(
  db: Kysely<Database>,
  tenantId: string,
  page: { afterId: string | null; limit: number; ids?: string[]; organizationId?: string },
) {
  if (page.ids && page.ids.length === 0) return [];
  let query = db
    .selectFrom('contacts')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('deleted_at', 'is', null)
    .orderBy('id')
    .limit(page.limit);
  if (page.afterId) query = query.where('id', '>', page.afterId);
  if (page.ids) query = query.where('id', 'in', page.ids);
  if (page.organizationId) query = query.where('organization_id', '=', page.organizationId);
  return query.execute();
}

/** Updates when the version still matches; undefined means someone else changed it first. */
export async function updateContact(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  expectedVersion: number,
  values: Partial<ContactValues>,
) {
  return db
    .updateTable('contacts')
    .set((eb) => ({ ...values, version: eb('version', '+', 1), updated_at: new Date() }))
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('version', '=', expectedVersion)
    .where('deleted_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
}

export async function softDeleteContact(db: Kysely<Database>, tenantId: string, id: string): Promise<boolean> {
  const result = await db
    .updateTable('contacts')
    .set({ deleted_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

export async function insertNote(
  db: Kysely<Database>,
  tenantId: string,
  row: { id: string; contact_id: string; subject_id: string; author_id: string; body_enc: Buffer },
) {
  return db
    .insertInto('notes')
    .values({ ...row, tenant_id: tenantId, updated_at: new Date() })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findNote(db: Kysely<Database>, tenantId: string, id: string) {
  return db
    .selectFrom('notes')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
}

export async function listNotes(
  db: Kysely<Database>,
  tenantId: string,
  page: { contactId?: string; afterId: string | null; limit: number },
) {
  let query = db
    .selectFrom('notes')
    .innerJoin('contacts', (join) =>
      join.onRef('contacts.tenant_id', '=', 'notes.tenant_id').onRef('contacts.id', '=', 'notes.contact_id'),
    )
    .selectAll('notes')
    .where('notes.tenant_id', '=', tenantId)
    .where('notes.deleted_at', 'is', null)
    .where('contacts.deleted_at', 'is', null)
    .orderBy('notes.id')
    .limit(page.limit);
  if (page.contactId) query = query.where('notes.contact_id', '=', page.contactId);
  if (page.afterId) query = query.where('notes.id', '>', page.afterId);
  return query.execute();
}

export async function updateNote(db: Kysely<Database>, tenantId: string, id: string, expectedVersion: number, bodyEnc: Buffer) {
  return db
    .updateTable('notes')
    .set((eb) => ({ body_enc: bodyEnc, version: eb('version', '+', 1), updated_at: new Date() }))
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('version', '=', expectedVersion)
    .where('deleted_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
}

export async function softDeleteNote(db: Kysely<Database>, tenantId: string, id: string): Promise<boolean> {
  const result = await db
    .updateTable('notes')
    .set({ deleted_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}
