import { sql, type Insertable, type Kysely, type RawBuilder, type Selectable, type Updateable } from 'kysely';
import type { Database, LegalHoldsTable, RetentionBasis, RetentionRulesTable, RetentionRunsTable } from '../../db/schema.js';

// The only SQL of retention: rules, holds, runs, and finding the people a rule has expired.

export type RuleRow = Selectable<RetentionRulesTable>;
export type HoldRow = Selectable<LegalHoldsTable>;
export type RunRow = Selectable<RetentionRunsTable>;
export type PersonTable = 'contacts' | 'leads';

// --- rules -------------------------------------------------------------------------------

export async function insertRule(db: Kysely<Database>, row: Insertable<RetentionRulesTable>): Promise<RuleRow> {
  return db.insertInto('retention_rules').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function listRules(db: Kysely<Database>, tenantId: string): Promise<RuleRow[]> {
  return db.selectFrom('retention_rules').selectAll().where('tenant_id', '=', tenantId).orderBy('created_at').orderBy('id').execute();
}

export async function findRule(db: Kysely<Database>, tenantId: string, id: string): Promise<RuleRow | undefined> {
  return db.selectFrom('retention_rules').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function updateRule(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  changes: Updateable<RetentionRulesTable>,
): Promise<RuleRow> {
  return db
    .updateTable('retention_rules')
    .set({ ...changes, updated_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deleteRule(db: Kysely<Database>, tenantId: string, id: string): Promise<void> {
  await db.deleteFrom('retention_rules').where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

/** Tenants that have at least one rule (the daily job looks at no others). */
export async function tenantsWithRules(db: Kysely<Database>): Promise<string[]> {
  return (await db.selectFrom('retention_rules').select('tenant_id').distinct().execute()).map((r) => r.tenant_id);
}

// --- people and holds ----------------------------------------------------------------------

export async function subjectOfPerson(db: Kysely<Database>, tenantId: string, table: PersonTable, id: string): Promise<string | undefined> {
  const row = await db.selectFrom(table).select('subject_id').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return row?.subject_id;
}

export async function dealExists(db: Kysely<Database>, tenantId: string, id: string): Promise<boolean> {
  return (
    (await db.selectFrom('deals').select('id').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst()) !== undefined
  );
}

export async function insertHold(db: Kysely<Database>, row: Insertable<LegalHoldsTable>): Promise<HoldRow> {
  return db.insertInto('legal_holds').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function findHold(db: Kysely<Database>, tenantId: string, id: string): Promise<HoldRow | undefined> {
  return db.selectFrom('legal_holds').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).forUpdate().executeTakeFirst();
}

/** Active holds first, each group newest first. */
export async function listHolds(
  db: Kysely<Database>,
  tenantId: string,
  options: { activeOnly: boolean; limit: number },
): Promise<HoldRow[]> {
  return db
    .selectFrom('legal_holds')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .$if(options.activeOnly, (q) => q.where('released_at', 'is', null))
    .orderBy(sql`released_at is null`, 'desc')
    .orderBy('placed_at', 'desc')
    .orderBy('id')
    .limit(options.limit)
    .execute();
}

export async function releaseHold(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  changes: { released_at: Date; released_by: string | null; release_reason_enc: Buffer },
): Promise<HoldRow> {
  return db
    .updateTable('legal_holds')
    .set(changes)
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

// --- candidates ----------------------------------------------------------------------------

export interface Candidate {
  table: PersonTable;
  id: string;
  subjectId: string;
  legalHold: boolean;
  restricted: boolean;
}

/** When the record was last touched by the measure a rule counts from. */
function referenceTime(table: PersonTable, basis: RetentionBasis, purposeId: string | null): RawBuilder<Date> {
  const p = sql.table('p');
  // consent_withdrawn: when the person withdrew consent for the purpose, if that is their current
  // state for it (the newest of grant, confirm and withdraw, in ledger order); else null: never expired.
  if (basis === 'consent_withdrawn')
    return sql<Date>`(select case when c.action = 'withdraw' then c.at end from consent_events c
      where c.tenant_id = ${p}.tenant_id and c.subject_id = ${p}.subject_id and c.purpose_id = ${purposeId}
        and c.action in ('grant', 'confirm', 'withdraw')
      order by c.seq desc limit 1)`;
  if (basis === 'created') return sql<Date>`${p}.created_at`;
  if (basis === 'updated') return sql<Date>`${p}.updated_at`;
  // last_activity (and the people of closed deals): the latest of the record's own change and
  // anything logged about it. greatest() ignores nulls.
  const link = sql.raw(table === 'contacts' ? 'contact_id' : 'lead_id');
  const mail =
    table === 'contacts'
      ? sql`(select max(e.created_at) from email_messages e where e.tenant_id = ${p}.tenant_id and e.contact_id = ${p}.id)`
      : sql`null::timestamptz`;
  return sql<Date>`greatest(
    ${p}.updated_at,
    (select max(greatest(a.created_at, a.updated_at)) from activities a where a.tenant_id = ${p}.tenant_id and a.${link} = ${p}.id),
    (select max(n.created_at) from notes n where n.tenant_id = ${p}.tenant_id and n.${link} = ${p}.id),
    ${mail}
  )`;
}

/**
 * The people whose every record (a lead and the contact it became count as one
 * person) was last touched, by `basis`, before `cutoff`, in the rule's table;
 * for `deals`, the contacts all of whose deals closed before `cutoff` and who
 * have had no activity since. Each with whether a legal hold or a restriction
 * keeps them. Oldest first, at most `limit`.
 *
 * With `purposeId`, only people with a consent event for that purpose. With
 * basis `consent_withdrawn` (which needs `purposeId`), the reference time is
 * when they withdrew consent for the purpose, and a person who currently has a
 * grant for any purpose is not a candidate at all.
 */
export async function findCandidates(
  db: Kysely<Database>,
  tenantId: string,
  rule: { module: 'contacts' | 'leads' | 'deals'; basedOn: RetentionBasis; cutoff: Date; purposeId?: string | null },
  limit: number,
): Promise<Candidate[]> {
  const basis: RetentionBasis = rule.module === 'deals' ? 'last_activity' : rule.basedOn;
  const table: PersonTable = rule.module === 'leads' ? 'leads' : 'contacts';
  const closedDeals =
    rule.module === 'deals'
      ? sql`and exists (select 1 from deal_contacts dc where dc.tenant_id = ${tenantId} and dc.contact_id = person.id)
            and not exists (
              select 1 from deal_contacts dc join deals d on d.tenant_id = dc.tenant_id and d.id = dc.deal_id
              where dc.tenant_id = ${tenantId} and dc.contact_id = person.id
                and (d.status = 'open' or coalesce(d.closed_at, d.updated_at) >= ${rule.cutoff}))`
      : sql``;
  const purposeId = rule.purposeId ?? null;
  const forPurpose = purposeId
    ? sql`and exists (select 1 from consent_events ce
          where ce.tenant_id = ${tenantId} and ce.subject_id = person.subject_id and ce.purpose_id = ${purposeId})`
    : sql``;
  // Someone else's consent still needs the data: a current grant (or confirmation) for any purpose.
  const noCurrentGrant =
    basis === 'consent_withdrawn'
      ? sql`and not exists (
            select 1 from consent_events g
            where g.tenant_id = ${tenantId} and g.subject_id = person.subject_id and g.action in ('grant', 'confirm')
              and not exists (
                select 1 from consent_events n
                where n.tenant_id = g.tenant_id and n.subject_id = g.subject_id and n.purpose_id = g.purpose_id
                  and n.action in ('grant', 'confirm', 'withdraw') and n.seq > g.seq))`
      : sql``;
  const result = await sql<{ tbl: PersonTable; id: string; subject_id: string; legal_hold: boolean; restricted: boolean }>`
    with person as (
      select 'contacts'::text as tbl, p.id, p.subject_id, p.restricted_at, ${referenceTime('contacts', basis, purposeId)} as at
      from contacts p where p.tenant_id = ${tenantId}
      union all
      select 'leads'::text, p.id, p.subject_id, p.restricted_at, ${referenceTime('leads', basis, purposeId)}
      from leads p where p.tenant_id = ${tenantId}
    ), subject as (
      select subject_id, max(at) as at, bool_or(restricted_at is not null) as restricted from person group by subject_id
    )
    select person.tbl, person.id, person.subject_id, subject.restricted,
      (exists (select 1 from legal_holds h where h.tenant_id = ${tenantId} and h.subject_id = person.subject_id and h.released_at is null)
        -- a hold on a deal keeps every person linked to it, whichever of their records the rule is about
        or exists (select 1 from legal_holds h
          join deal_contacts dc on dc.tenant_id = h.tenant_id and dc.deal_id = h.person_id
          join contacts c on c.tenant_id = dc.tenant_id and c.id = dc.contact_id
          where h.tenant_id = ${tenantId} and h.person_table = 'deals' and h.released_at is null
            and c.subject_id = person.subject_id)) as legal_hold
    from person join subject on subject.subject_id = person.subject_id
    where person.tbl = ${table} and subject.at < ${rule.cutoff} ${closedDeals} ${forPurpose} ${noCurrentGrant}
    order by subject.at, person.id
    limit ${limit}`.execute(db);
  return result.rows.map((r) => ({ table: r.tbl, id: r.id, subjectId: r.subject_id, legalHold: r.legal_hold, restricted: r.restricted }));
}

// --- runs ----------------------------------------------------------------------------------

/** Marks runs that a crashed node left "running" for longer than `staleBefore` as failed, so the next may start. */
export async function failStaleRuns(db: Kysely<Database>, tenantId: string, staleBefore: Date): Promise<void> {
  await db
    .updateTable('retention_runs')
    .set({ status: 'failed', finished_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('status', '=', 'running')
    .where('started_at', '<', staleBefore)
    .execute();
}

/** Starts a run; undefined when a real run of the tenant is already in progress (the unique index says so). */
export async function startRun(db: Kysely<Database>, row: Insertable<RetentionRunsTable>): Promise<RunRow | undefined> {
  try {
    return await db.insertInto('retention_runs').values(row).returningAll().executeTakeFirstOrThrow();
  } catch (error) {
    if ((error as { code?: string }).code === '23505') return undefined;
    throw error;
  }
}

export async function finishRun(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  changes: Updateable<RetentionRunsTable>,
): Promise<RunRow> {
  return db
    .updateTable('retention_runs')
    .set({ ...changes, finished_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function listRuns(db: Kysely<Database>, tenantId: string, limit: number): Promise<RunRow[]> {
  return db
    .selectFrom('retention_runs')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('started_at', 'desc')
    .orderBy('id')
    .limit(limit)
    .execute();
}

/** When the daily job last started a real run of the tenant. */
export async function lastJobRunAt(db: Kysely<Database>, tenantId: string): Promise<Date | undefined> {
  const row = await db
    .selectFrom('retention_runs')
    .select('started_at')
    .where('tenant_id', '=', tenantId)
    .where('user_id', 'is', null)
    .where('dry_run', '=', false)
    .orderBy('started_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.started_at;
}
