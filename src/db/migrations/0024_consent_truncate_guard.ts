import { sql, type Kysely } from 'kysely';

// The consent ledger's append-only trigger (0015) fires for each row, and
// TRUNCATE fires no row trigger: this statement-level one refuses TRUNCATE as
// well, always. Erasure and the tenant purge remove a person's or a tenant's
// events row by row (through 0015's exception); emptying the whole ledger,
// every tenant's at once, is never a legitimate act of the application.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function consent_events_no_truncate() returns trigger language plpgsql as $$
    begin
      raise exception 'consent_events is append-only: TRUNCATE refused' using errcode = 'P0001';
    end
    $$`.execute(db);
  await sql`
    create trigger consent_events_no_truncate before truncate on consent_events
    for each statement execute function consent_events_no_truncate()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger consent_events_no_truncate on consent_events`.execute(db);
  await sql`drop function consent_events_no_truncate()`.execute(db);
}
