import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testDbKind, useTestDatabase } from '../../test/db.js';
import { uniqueSlug } from '../../test/factories.js';
import { runCliInProcess as runCli, scratchDir, tenantCreateArgs, useCliDatabase } from '../../test/processes.js';

// The `custodia` command's arguments, output and exit codes, through its main()
// in this process: on an embedded data dir (pglite project) or on this file's
// own server database (postgres project). test/cli.test.ts runs the binary.
const kind = testDbKind();
const db = useTestDatabase();
const cli = useCliDatabase(db);

describe(`custodia CLI (${kind})`, () => {
  it('creates a tenant, printing exactly one JSON object, and lists it', async () => {
    const slug = uniqueSlug('cli');
    const created = await runCli(tenantCreateArgs(slug), cli.env);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const lines = created.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const json = JSON.parse(lines[0]!);
    expect(Object.keys(json).sort()).toEqual(['adminUserId', 'slug', 'tenantId']);
    expect(json.slug).toBe(slug);

    const list = await runCli(['tenant', 'list', '--json'], cli.env);
    expect(list.code).toBe(0);
    const tenants = JSON.parse(list.stdout) as Array<{ id: string; slug: string; status: string }>;
    expect(tenants).toContainEqual(expect.objectContaining({ id: json.tenantId, slug, status: 'active' }));

    const table = await runCli(['tenant', 'list'], cli.env);
    expect(table.stdout).toMatch(new RegExp(`^${slug}\\s+active\\s+\\d{4}-\\d{2}-\\d{2}\\s+Acme BV$`, 'm'));

    const duplicate = await runCli(tenantCreateArgs(slug), cli.env);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stdout).toBe('');
    expect(duplicate.stderr.trim().split('\n')).toHaveLength(1);
    expect(duplicate.stderr).toContain(`a tenant with slug "${slug}" already exists`);
  });

  it('suspends, reactivates and terminates a tenant, refusing impossible moves', async () => {
    const slug = uniqueSlug('cli');
    expect((await runCli(tenantCreateArgs(slug), cli.env)).code).toBe(0);
    const suspended = await runCli(['tenant', 'suspend', '--slug', slug], cli.env);
    expect(suspended).toMatchObject({ code: 0, stdout: `tenant ${slug} is suspended\n` });
    const again = await runCli(['tenant', 'suspend', '--slug', slug], cli.env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('it is suspended');
    expect((await runCli(['tenant', 'reactivate', '--slug', slug], cli.env)).code).toBe(0);
    const terminated = await runCli(['tenant', 'terminate', '--slug', slug, '--json'], cli.env);
    expect(terminated.code).toBe(0);
    const tenant = JSON.parse(terminated.stdout);
    expect(tenant.status).toBe('terminated');
    const days = (Date.parse(tenant.deletionDueAt) - Date.parse(tenant.terminatedAt)) / 86_400_000;
    expect(days).toBe(30);
    const filtered = JSON.parse((await runCli(['tenant', 'list', '--json', '--status', 'terminated'], cli.env)).stdout);
    expect(filtered.map((t: { slug: string }) => t.slug)).toContain(slug);

    // Purging before the deletion date needs --now; a dry run deletes nothing; the purge leaves no tenant.
    const early = await runCli(['tenant', 'purge', '--slug', slug], cli.env);
    expect(early.code).toBe(1);
    expect(early.stderr).toContain('pass --now');
    const dry = await runCli(['tenant', 'purge', '--slug', slug, '--now', '--dry-run'], cli.env);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(new RegExp(`^tenant ${slug}: a purge would delete \\d+ rows`));
    const purged = await runCli(['tenant', 'purge', '--slug', slug, '--now', '--json'], cli.env);
    expect(purged.code).toBe(0);
    expect(JSON.parse(purged.stdout)).toMatchObject({ slug, dryRun: false, deleted: expect.objectContaining({ users: 1 }) });
    const gone = JSON.parse((await runCli(['tenant', 'list', '--json'], cli.env)).stdout);
    expect(gone.map((t: { slug: string }) => t.slug)).not.toContain(slug);
  });

  it.each([
    [
      ['tenant', 'create', '--slug', 'Bad_Slug', '--name', 'X', '--admin-email', 'a@b.test', '--admin-password', 'long enough pw'],
      1,
      /slug must be lower-case/,
    ],
    [['tenant', 'suspend', '--slug', 'no-such-tenant'], 1, /no tenant with slug "no-such-tenant"/],
    [['tenant', 'create', '--slug', 'x1'], 2, /missing --name/],
    [['tenant', 'frobnicate'], 2, /unknown command/],
    [['tenant', 'list', '--colour'], 2, /Unknown option '--colour'/],
  ])('refuses %j with exit %i and a one-line reason', async (args, code, reason) => {
    const result = await runCli(args, cli.env);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(reason);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('stops on a bad configuration value, naming the variable', async () => {
    const result = await runCli(['tenant', 'list'], { ...cli.env, CUSTODIA_BODY_LIMIT_BYTES: 'lots' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^custodia: invalid configuration: CUSTODIA_BODY_LIMIT_BYTES: must be a whole number/);
  });

  it('prints its usage on --help', async () => {
    const result = await runCli(['--help'], cli.env);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('tenant create --slug');
  });
});

describe.runIf(kind === 'pglite')('custodia migrate on an embedded data dir', () => {
  it('runs migrate on a brand-new data dir', async () => {
    const dataDir = path.join(await scratchDir(), 'fresh');
    const first = await runCli(['migrate'], { CUSTODIA_DATA_DIR: dataDir });
    expect(first).toMatchObject({ code: 0 });
    expect(first.stdout).toMatch(/^(applied 0001_tenants_users_sessions|database is up to date)/);
    expect((await runCli(['migrate'], { CUSTODIA_DATA_DIR: dataDir })).stdout).toBe('database is up to date\n');
  });
});

describe(`custodia keys (${kind})`, () => {
  it('shows the key status and rotates a tenant key, keeping sign-in working', async () => {
    const slug = uniqueSlug('keys');
    expect((await runCli(tenantCreateArgs(slug), cli.env)).code).toBe(0);
    const rotated = await runCli(['keys', 'rotate-tenant', '--tenant', slug], cli.env);
    expect(rotated.stderr).toBe('');
    expect(rotated.stdout).toMatch(/^rotated \(version 1 → 2\): 1 keys re-wrapped/);
    const status = JSON.parse((await runCli(['keys', 'status', '--json'], cli.env)).stdout);
    expect(status.masterKey.keyId).toMatch(/^local:[0-9a-f]{16}$/);
    expect(status.instanceKeyUnder).toBe(status.masterKey.keyId);
    expect(status.rotations[0]).toMatchObject({ kind: 'tenant', from: 1, to: 2, status: 'done' });
    // The admin is still found by e-mail through the re-computed index: a duplicate is refused.
    const again = await runCli(['tenant', 'list', '--json'], cli.env);
    expect(JSON.parse(again.stdout).map((t: { slug: string }) => t.slug)).toContain(slug);
    const unknown = await runCli(['keys', 'rotate-tenant', '--tenant', 'no-such-tenant'], cli.env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no tenant with slug "no-such-tenant"');
  });

  it('refuses a master key rotation when the old key is not configured', async () => {
    const result = await runCli(['keys', 'rotate-master'], { ...cli.env, CUSTODIA_MASTER_KEY: Buffer.alloc(32, 7).toString('base64') });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/master key/);
  });
});
