import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { testDbKind, useTestDatabase } from '../../../test/db.js';
import { createTestTenant } from '../../../test/factories.js';
import { runCliInProcess as runCli, useCliDatabase } from '../../../test/processes.js';
import { createContact } from '../../crm/people/contacts.service.js';
import type { Authenticated } from '../../shared/actor.js';
import { createRule } from './retention.service.js';

// `custodia retention run --tenant <slug> [--dry-run] [--json]` through the
// command's main() in this process, on an embedded data dir (pglite project)
// or on this file's own server database (postgres project).
const kind = testDbKind();
const t = useTestDatabase();
const cli = useCliDatabase(t);

describe(`custodia retention (${kind})`, { timeout: 120_000 }, () => {
  it('reports a dry run without erasing, then erases, recorded as the system', async () => {
    const { slug, ruleId, contactId } = await cli.on(async (db, keyring) => {
      const { tenant, admin } = await createTestTenant(db);
      const actor: Authenticated = {
        tenantId: tenant.id,
        user: admin,
        via: 'session',
        scopes: ['read', 'write', 'admin'],
        mfaEnrolmentRequired: false,
      };
      const rule = await createRule(db, keyring, actor, { module: 'contacts', afterDays: 730, basedOn: 'last_activity', action: 'erase' });
      const contact = await createContact(db, keyring, actor, {
        firstName: 'Old',
        lastName: 'Customer',
        emails: ['old.customer@example.test'],
      });
      const longAgo = new Date(Date.now() - 800 * 86_400_000);
      await sql`update contacts set created_at = ${longAgo}, updated_at = ${longAgo} where id = ${contact.id}`.execute(db);
      return { slug: tenant.slug, ruleId: rule.id, contactId: contact.id };
    });
    const contactExists = () =>
      cli.on(async (db) => (await db.selectFrom('contacts').select('id').where('id', '=', contactId).executeTakeFirst()) !== undefined);

    const dry = await runCli(['retention', 'run', '--tenant', slug, '--dry-run'], cli.env);
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toBe(
      `tenant ${slug}: retention dry run would erase 1, would anonymize 0, held 0, failed 0\n` +
        `  rule ${ruleId} (contacts, erase): 1 erased, 0 held, 0 failed\n`,
    );
    expect(await contactExists()).toBe(true);

    const real = await runCli(['retention', 'run', '--tenant', slug, '--json'], cli.env);
    expect(real.code).toBe(0);
    expect(JSON.parse(real.stdout)).toMatchObject({
      slug,
      dryRun: false,
      erased: 1,
      held: 0,
      candidates: [{ table: 'contacts', id: contactId, ruleId, action: 'erase', held: false, heldBy: null }],
    });
    expect(await contactExists()).toBe(false);
    const runs = await cli.on((db) =>
      db.selectFrom('retention_runs').select(['dry_run', 'user_id', 'erased']).orderBy('started_at').execute(),
    );
    expect(runs).toEqual([
      { dry_run: true, user_id: null, erased: 1 },
      { dry_run: false, user_id: null, erased: 1 },
    ]);
  });

  it.each([
    [['retention', 'run'], 2, /missing --tenant/],
    [['retention', 'run', '--tenant', 'no-such-tenant'], 1, /no tenant with slug "no-such-tenant"/],
    [['retention', 'purge'], 2, /unknown command "retention purge"/],
  ])('refuses %j with a one-line reason', async (args, code, reason) => {
    const result = await runCli(args, cli.env);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(reason);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('lists the command in its usage', async () => {
    expect((await runCli(['--help'], cli.env)).stdout).toContain('retention run --tenant <slug> [--dry-run] [--json]');
  });
});
