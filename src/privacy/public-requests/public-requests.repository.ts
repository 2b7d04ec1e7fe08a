import type { Insertable, Kysely, Selectable } from 'kysely';
import type { Database, PublicRequestLinksTable } from '../../db/schema.js';

// The only SQL of the public request form: links waiting for their person.

export type RequestLinkRow = Selectable<PublicRequestLinksTable>;

export async function insertLink(db: Kysely<Database>, row: Insertable<PublicRequestLinksTable>): Promise<void> {
  await db.insertInto('public_request_links').values(row).execute();
}

/** The link a token hash names, locked for the confirming transaction when asked. */
export async function findLinkByTokenHash(
  db: Kysely<Database>,
  tokenHash: Buffer,
  options: { forUpdate?: boolean } = {},
): Promise<RequestLinkRow | undefined> {
  return db
    .selectFrom('public_request_links')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .$if(options.forUpdate === true, (q) => q.forUpdate())
    .executeTakeFirst();
}

/** Single use: marks the link used by the case it opened and drops its sealed address (the case holds it now). */
export async function markUsed(db: Kysely<Database>, tenantId: string, id: string, requestId: string, at: Date): Promise<boolean> {
  const result = await db
    .updateTable('public_request_links')
    .set({ used_at: at, request_id: requestId, email_enc: null })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Deletes links made before the cut-off, used or not; answers how many. */
export async function purgeLinks(db: Kysely<Database>, before: Date): Promise<number> {
  const result = await db.deleteFrom('public_request_links').where('created_at', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function tenantSlugOf(db: Kysely<Database>, tenantId: string): Promise<string | undefined> {
  return (await db.selectFrom('tenants').select('slug').where('id', '=', tenantId).executeTakeFirst())?.slug;
}
