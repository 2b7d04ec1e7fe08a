import type { Kysely } from 'kysely';

// Issue 17: restriction of processing (Art. 18) is a state of the person: while
// `restricted_at` is set on their contact and lead rows (a lead and the contact
// it became share the state), edits, deletion, conversion, exports, imports
// that would update them and campaigns are refused with 423, and the data is
// kept as it is.

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of ['contacts', 'leads']) await db.schema.alterTable(table).addColumn('restricted_at', 'timestamptz').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['contacts', 'leads']) await db.schema.alterTable(table).dropColumn('restricted_at').execute();
}
