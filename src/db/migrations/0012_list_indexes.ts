import { sql, type Kysely } from 'kysely';

// Every CRM list is keyset-paginated on (sort column, id) within a tenant
// (src/crm/common/pagination.ts), over live rows only. Without an index in that
// order a page sorts the whole tenant: ~150 ms of PostgreSQL time per page at
// 100,000 contacts. Deals, activities and e-mail messages got theirs with
// their tables (0007); these are the ones contacts, leads and organizations
// lacked. Partial on `deleted_at is null`, as every list query is: the
// recycle bin has its own `*_deleted_idx`. Blind index lookups need nothing
// new: `blind_index_terms_pkey` (tenant_id, index_name, key_version, term, …)
// answers an e-mail lookup with one index scan.

const INDEXES: Array<{ name: string; table: string; columns: string }> = [
  { name: 'contacts_created_idx', table: 'contacts', columns: 'tenant_id, created_at, id' },
  { name: 'contacts_updated_idx', table: 'contacts', columns: 'tenant_id, updated_at, id' },
  { name: 'leads_created_idx', table: 'leads', columns: 'tenant_id, created_at, id' },
  { name: 'leads_updated_idx', table: 'leads', columns: 'tenant_id, updated_at, id' },
  { name: 'leads_company_idx', table: 'leads', columns: 'tenant_id, company, id' },
  { name: 'organizations_created_idx', table: 'organizations', columns: 'tenant_id, created_at, id' },
  { name: 'organizations_updated_idx', table: 'organizations', columns: 'tenant_id, updated_at, id' },
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const index of INDEXES) {
    await sql`create index ${sql.ref(index.name)} on ${sql.table(index.table)} (${sql.raw(index.columns)}) where deleted_at is null`.execute(
      db,
    );
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const index of INDEXES) await sql`drop index ${sql.ref(index.name)}`.execute(db);
}
