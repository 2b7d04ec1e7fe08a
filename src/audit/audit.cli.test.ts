import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { testDbKind, useTestDatabase } from '../../test/db.js';
import { createTestTenant } from '../../test/factories.js';
import { runCliInProcess as runCli, scratchDir, useCliDatabase } from '../../test/processes.js';
import { createContact, getContact, updateContact } from '../crm/people/contacts.service.js';
import type { Database } from '../db/schema.js';
import type { Authenticated } from '../shared/actor.js';
import type { Keyring } from '../keys/keyring.js';
import { sealTenant } from './sealer.js';

// `custodia audit verify` and `custodia audit checkpoint` through the
// command's main() in this process (test/cli.test.ts runs the binary), with
// no server running: on an embedded data dir (pglite project) or on this
// file's own server database (postgres project).
const kind = testDbKind();
const t = useTestDatabase();
const cli = useCliDatabase(t);

/** Runs `work` on the database the CLI will open (with its keyring), then lets go of it. */
function onCliDatabase<T>(work: (db: Kysely<Database>, keyring: Keyring) => Promise<T>): Promise<T> {
  return cli.on((db, keyring) => work(db, keyring));
}

/** A tenant whose admin created, read and changed a person. */
async function personTouched() {
  return onCliDatabase(async (db, keyring) => {
    const { tenant, admin } = await createTestTenant(db);
    const actor: Authenticated = {
      tenantId: tenant.id,
      user: admin,
      via: 'session',
      scopes: ['read', 'write', 'admin'],
      mfaEnrolmentRequired: false,
    };
    const contact = await createContact(db, keyring, actor, { firstName: 'Anneke', lastName: 'de Vries', emails: ['anneke@example.test'] });
    await getContact(db, keyring, actor, contact.id);
    await updateContact(db, keyring, actor, contact.id, { jobTitle: 'Buyer' });
    return { slug: tenant.slug, tenantId: tenant.id };
  });
}

describe(`custodia audit (${kind})`, { timeout: 120_000 }, () => {
  it('verifies an intact trail, then names a deleted entry', async () => {
    const { slug, tenantId } = await personTouched();
    const intact = await runCli(['audit', 'verify', '--tenant', slug], cli.env);
    expect(intact.stderr).toBe('');
    expect(intact.code).toBe(0);
    expect(intact.stdout).toContain(`audit trail of ${slug} is intact`);
    expect(intact.stdout).toMatch(/signing key \(Ed25519, base64\): \S{44}/);

    const victim = await onCliDatabase(async (db) => {
      const row = (
        await sql<{
          id: string;
          seq: number;
        }>`select id, seq from audit_entries where tenant_id = ${tenantId} order by seq limit 1 offset 2`.execute(db)
      ).rows[0]!;
      await sql`delete from audit_entries where tenant_id = ${tenantId} and id = ${row.id}`.execute(db);
      return row;
    });
    const broken = await runCli(['audit', 'verify', '--tenant', slug], cli.env);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain('NOT intact');
    expect(broken.stderr).toContain(victim.id);
    expect(broken.stderr).toContain(`entry ${victim.seq}`);
    expect(broken.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('fails when an entry’s time moved by a second', async () => {
    const { slug, tenantId } = await personTouched();
    const id = await onCliDatabase(async (db, keyring) => {
      const row = (
        await sql<{ id: string }>`select id from audit_entries where tenant_id = ${tenantId} and action = 'contact.updated'`.execute(db)
      ).rows[0]!;
      // Sealed first, as a stopped server leaves it.
      await sealTenant(db, keyring, tenantId);
      await sql`update audit_entries set at = at + interval '1 second' where tenant_id = ${tenantId} and id = ${row.id}`.execute(db);
      return row.id;
    });
    const result = await runCli(['audit', 'verify', '--tenant', slug, '--json'], cli.env);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report.ok).toBe(false);
    expect(report.problems[0].id).toBe(id);
  });

  it('prints a signed checkpoint and finds a truncation against it', async () => {
    const { slug, tenantId } = await personTouched();
    const printed = await runCli(['audit', 'checkpoint', '--tenant', slug], cli.env);
    expect(printed.code, printed.stderr).toBe(0);
    const checkpoint = JSON.parse(printed.stdout);
    expect(checkpoint).toMatchObject({ format: 'custodia-audit-checkpoint/1', tenantId });
    expect(checkpoint.size).toBeGreaterThan(2);
    const file = path.join(await scratchDir(), 'head.json');
    await writeFile(file, printed.stdout);
    const matched = await runCli(['audit', 'verify', '--tenant', slug, '--checkpoint', file], cli.env);
    expect(matched.code, matched.stderr).toBe(0);
    expect(matched.stdout).toContain('the saved checkpoint matches the log');

    // Take the last entry away and put the head back as if it never counted it: the database alone looks fine.
    await onCliDatabase(async (db) => {
      const head = (await sql<Record<string, unknown>>`select * from audit_heads where tenant_id = ${tenantId}`.execute(db)).rows[0]!;
      await sql`delete from audit_entries where tenant_id = ${tenantId} and seq = ${head.size as number}`.execute(db);
      await sql`update audit_heads set size = size - 1, signature = null where tenant_id = ${tenantId}`.execute(db);
    });
    const truncated = await runCli(['audit', 'verify', '--tenant', slug, '--checkpoint', printed.stdout], cli.env);
    expect(truncated.code).toBe(1);
    expect(truncated.stdout).toContain('truncated');

    const bad = await runCli(['audit', 'verify', '--tenant', slug, '--checkpoint', '{"format":"nope"}'], cli.env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('checkpoint');
  });
});
