import { sql, type Insertable, type Kysely, type Selectable } from 'kysely';
import type { CampaignRecipientsTable, CampaignsTable, Database } from '../../db/schema.js';
import { ownedBy, type Owners } from '../../crm/common/ownership.js';
import { taggedWith } from '../../crm/tags/tags.service.js';

// The SQL of campaigns: the campaign rows, their per-person outcomes, and the
// audience's rows (ids, owners and subjects of contacts and leads, never a
// personal field: those are opened through the CRM's people service).

export type CampaignRow = Selectable<CampaignsTable> & { purpose_name: string };
export type RecipientRow = Selectable<CampaignRecipientsTable>;
export type AudienceTable = 'contacts' | 'leads';

/** A live contact or lead of the audience: who owns it (the sender must reach it) and its subject. */
export interface AudienceRow {
  id: string;
  subject_id: string;
  owner_id: string;
  owner_group_id: string | null;
  /** Set while processing is restricted (Art. 18): no campaign mail then. */
  restricted_at: Date | null;
}

function campaigns(db: Kysely<Database>, tenantId: string) {
  return db
    .selectFrom('campaigns')
    .innerJoin('purposes', (j) =>
      j.onRef('purposes.tenant_id', '=', 'campaigns.tenant_id').onRef('purposes.id', '=', 'campaigns.purpose_id'),
    )
    .selectAll('campaigns')
    .select('purposes.name as purpose_name')
    .where('campaigns.tenant_id', '=', tenantId);
}

export async function insertCampaign(db: Kysely<Database>, row: Insertable<CampaignsTable>): Promise<void> {
  await db.insertInto('campaigns').values(row).execute();
}

export async function findCampaign(db: Kysely<Database>, tenantId: string, id: string): Promise<CampaignRow | undefined> {
  return campaigns(db, tenantId).where('campaigns.id', '=', id).executeTakeFirst();
}

/** Locks the campaign row for a send, so two sends of one campaign wait for each other and the second sees it sent. */
export async function lockCampaign(db: Kysely<Database>, tenantId: string, id: string): Promise<CampaignRow | undefined> {
  return campaigns(db, tenantId).where('campaigns.id', '=', id).forUpdate('campaigns').executeTakeFirst();
}

/** A page of campaigns, newest first, after the (created_at, id) of the previous page's last row. */
export async function listCampaigns(
  db: Kysely<Database>,
  tenantId: string,
  page: { limit: number; after: { createdAt: string; id: string } | null },
): Promise<CampaignRow[]> {
  return campaigns(db, tenantId)
    .$if(page.after !== null, (q) =>
      q.where(sql<boolean>`(campaigns.created_at, campaigns.id) < (${page.after!.createdAt}::timestamptz, ${page.after!.id}::uuid)`),
    )
    .orderBy('campaigns.created_at', 'desc')
    .orderBy('campaigns.id', 'desc')
    .limit(page.limit)
    .execute();
}

export async function markSent(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  values: { sentBy: string; queued: number; skipped: number },
): Promise<void> {
  await db
    .updateTable('campaigns')
    .set({ status: 'sent', sent_by: values.sentBy, sent_at: sql<Date>`now()`, queued_count: values.queued, skipped_count: values.skipped })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute();
}

export async function insertRecipients(db: Kysely<Database>, rows: Array<Insertable<CampaignRecipientsTable>>): Promise<void> {
  // A statement's parameters are limited (65,535); 10 columns × 1,000 rows stays well inside.
  for (let i = 0; i < rows.length; i += 1000)
    await db
      .insertInto('campaign_recipients')
      .values(rows.slice(i, i + 1000))
      .execute();
}

/** A campaign's per-person outcomes in audience order. */
export async function recipientsOf(db: Kysely<Database>, tenantId: string, campaignId: string): Promise<RecipientRow[]> {
  return db
    .selectFrom('campaign_recipients')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('campaign_id', '=', campaignId)
    .orderBy('position')
    .execute();
}

/** Live people of the tenant among these ids, with owners and subject. */
export async function audienceByIds(
  db: Kysely<Database>,
  table: AudienceTable,
  tenantId: string,
  ids: readonly string[],
): Promise<AudienceRow[]> {
  if (ids.length === 0) return [];
  // Kysely cannot type "either table"; both share these columns.
  return db
    .selectFrom(table as 'contacts')
    .select(['id', 'subject_id', 'owner_id', 'owner_group_id', 'restricted_at'])
    .where('tenant_id', '=', tenantId)
    .where(sql<boolean>`id = any(${[...ids]}::uuid[])`)
    .where('deleted_at', 'is', null)
    .execute();
}

/**
 * Live people with the tag (by name) whose owners are in `owners` (all when
 * undefined), oldest first, at most `limit` of them.
 */
export async function audienceByTag(
  db: Kysely<Database>,
  table: AudienceTable,
  tenantId: string,
  tag: string,
  owners: Owners | undefined,
  limit: number,
): Promise<AudienceRow[]> {
  return db
    .selectFrom(table as 'contacts')
    .select(['id', 'subject_id', 'owner_id', 'owner_group_id', 'restricted_at'])
    .where('tenant_id', '=', tenantId)
    .where('deleted_at', 'is', null)
    .where(taggedWith(table, sql.ref(`${table}.id`), tenantId, tag))
    .$if(owners !== undefined, (q) => q.where(ownedBy(owners!, table)))
    .orderBy('created_at')
    .orderBy('id')
    .limit(limit)
    .execute();
}

/** The tenant's name (the mail's footer) and slug (the withdrawal link's path). */
export async function tenantOf(db: Kysely<Database>, tenantId: string): Promise<{ name: string; slug: string }> {
  return db.selectFrom('tenants').select(['name', 'slug']).where('id', '=', tenantId).executeTakeFirstOrThrow();
}
