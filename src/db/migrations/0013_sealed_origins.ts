import { sql, type Kysely } from 'kysely';

// IP addresses and user agents are personal data: from here on they are
// stored sealed (origin_subject_id + origin_enc, see audit/origin.ts).
// - sessions: the plaintext columns go (a session's origin is display only;
//   sessions open now show none);
// - security_events: plaintext of earlier events stays until the start step
//   sealLegacyOrigins moves it (it needs the keys, which migrations have not);
// - audit_entries: entries get an encoding format. Entries written before
//   are format 2, their MACs and chain hashes cover the plaintext ip and
//   user_agent, so those stay as they are (docs/security.md says why and
//   how they leave); new entries are format 3, with the origin sealed.
// - sign_in_throttles: keys become HMACs; the old SHA-256 keys of IPs and
//   e-mail addresses (guessable by hashing candidates) are deleted.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('sessions')
    .dropColumn('ip')
    .dropColumn('user_agent')
    .addColumn('origin_subject_id', 'uuid')
    .addColumn('origin_enc', 'bytea')
    .execute();

  await db.schema.alterTable('security_events').addColumn('origin_subject_id', 'uuid').addColumn('origin_enc', 'bytea').execute();

  await db.schema
    .alterTable('audit_entries')
    .addColumn('encoding_format', 'smallint', (c) => c.notNull().defaultTo(2))
    .addColumn('origin_subject_id', 'uuid')
    .addColumn('origin_enc', 'bytea')
    .execute();
  await sql`alter table audit_entries alter column encoding_format set default 3`.execute(db);
  await sql`alter table audit_entries add constraint audit_entries_origin_sealed
    check (encoding_format = 3 and ip is null and user_agent is null or encoding_format = 2 and origin_enc is null)`.execute(db);

  await sql`delete from sign_in_throttles`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table audit_entries drop constraint audit_entries_origin_sealed`.execute(db);
  await db.schema
    .alterTable('audit_entries')
    .dropColumn('origin_enc')
    .dropColumn('origin_subject_id')
    .dropColumn('encoding_format')
    .execute();
  await db.schema.alterTable('security_events').dropColumn('origin_enc').dropColumn('origin_subject_id').execute();
  await db.schema
    .alterTable('sessions')
    .dropColumn('origin_enc')
    .dropColumn('origin_subject_id')
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .execute();
}
