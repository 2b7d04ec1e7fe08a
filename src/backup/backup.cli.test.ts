import { copyFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testDbKind, useTestDatabase } from '../../test/db.js';
import { uniqueSlug } from '../../test/factories.js';
import {
  preparedDataDir,
  runCliInProcess as runCli,
  scratchDir,
  startServerProcess,
  tenantCreateArgs,
  useCliDatabase,
} from '../../test/processes.js';

// `custodia backup …` and `custodia keys backup` as an operator types them.
const kind = testDbKind();
const db = useTestDatabase();
const cli = useCliDatabase(db);

describe(`custodia backup (${kind})`, () => {
  it.runIf(kind === 'pglite')('through a running server, a target set in the CLI’s own environment is the one used', async () => {
    const dataDir = await preparedDataDir();
    const server = await startServerProcess({ CUSTODIA_DATA_DIR: dataDir });
    try {
      const target = await scratchDir('custodia-cli-target-');
      const created = await runCli(['backup', 'create'], { CUSTODIA_DATA_DIR: dataDir, CUSTODIA_BACKUP_DIR: target });
      expect(created.stderr).toBe('');
      expect((JSON.parse(created.stdout) as { target: string }).target).toBe(`dir:${target}`);
      // Without it, the server's own (default) target.
      const own = await runCli(['backup', 'create'], { CUSTODIA_DATA_DIR: dataDir });
      expect((JSON.parse(own.stdout) as { target: string }).target).toBe(`dir:${path.join(dataDir, 'backups')}`);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  it('creates, lists and verifies a backup; a changed byte fails verify with one clear line', async () => {
    const target = await scratchDir('custodia-backups-');
    const env = () => ({ ...cli.env, CUSTODIA_BACKUP_DIR: target });
    const slug = uniqueSlug('bk');
    expect((await runCli(tenantCreateArgs(slug), env())).code).toBe(0);

    const created = await runCli(['backup', 'create'], env());
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const lines = created.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const backup = JSON.parse(lines[0]!) as { id: string; target: string; scope: string; keyBackupId: string };
    expect(backup.target).toBe(`dir:${target}`);
    expect(backup.scope).toBe('instance');

    const tenantBackup = JSON.parse((await runCli(['backup', 'create', '--tenant', slug], env())).stdout) as { id: string };
    expect(tenantBackup.id).toMatch(new RegExp(`-t-${slug}$`));

    const listed = JSON.parse((await runCli(['backup', 'list', '--json'], env())).stdout) as Array<{ id: string }>;
    expect(listed.map((b) => b.id)).toEqual([tenantBackup.id, backup.id].sort().reverse());
    const table = await runCli(['backup', 'list'], env());
    expect(table.stdout).toMatch(new RegExp(`^${backup.id}\\s+\\S+\\s+instance\\s+\\d+`, 'm'));
    expect(table.stdout).toMatch(new RegExp(`^${tenantBackup.id}\\s+\\S+\\s+${slug}\\s+\\d+`, 'm'));

    const verified = await runCli(['backup', 'verify', backup.id, '--full'], env());
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/is intact: signature and \d+ objects checked, \d+ rows decrypted and counted/);

    const elsewhere = await scratchDir('custodia-elsewhere-');
    const aside = JSON.parse((await runCli(['backup', 'create', '--tenant', slug, '--target', elsewhere], env())).stdout) as {
      target: string;
    };
    expect(aside.target).toBe(`dir:${elsewhere}`);
    expect((await runCli(['backup', 'list', '--json', '--target', elsewhere], env())).stdout).toContain(`-t-${slug}`);

    const keys = await runCli(['keys', 'backup'], env());
    expect(keys.code).toBe(0);
    expect(JSON.parse(keys.stdout)).toMatchObject({ scope: 'keys' });

    const file = path.join(target, 'backups', backup.id, 'tables', 'users.bin');
    const bytes = await readFile(file);
    bytes[bytes.length - 5]! ^= 0x80;
    await writeFile(file, bytes);
    const broken = await runCli(['backup', 'verify', backup.id], env());
    expect(broken.code).toBe(1);
    expect(broken.stderr.trim().split('\n')).toHaveLength(1);
    expect(broken.stderr).toContain('users.bin fails its SHA-256 check');

    expect((await runCli(['backup', 'verify'], env())).code).toBe(2);
    const missing = await runCli(['backup', 'verify', '20200101T000000Z-abcdef'], env());
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no backup 20200101T000000Z-abcdef');
  }, 120_000);

  it('restores the whole instance only into an empty database, and a fresh data dir only with the master key copied there', async () => {
    const target = await scratchDir('custodia-backups-');
    const source = { ...cli.env, CUSTODIA_BACKUP_DIR: target };
    const slug = uniqueSlug('bk');
    expect((await runCli(tenantCreateArgs(slug), source)).code).toBe(0);
    const backup = JSON.parse((await runCli(['backup', 'create'], source)).stdout) as { id: string };

    const inUse = await runCli(['backup', 'restore', backup.id], source);
    expect(inUse.code).toBe(1);
    expect(inUse.stderr).toContain('only into an empty database');
    // The embedded data dir is a directory to copy the key into; a PostgreSQL database has its key configured.
    if (kind !== 'pglite') return;

    const fresh = await preparedDataDir();
    const restoreEnv = { CUSTODIA_DATA_DIR: fresh, CUSTODIA_BACKUP_DIR: target };
    const refused = await runCli(['backup', 'restore', backup.id], restoreEnv);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('copy master.key');

    await copyFile(path.join(cli.env.CUSTODIA_DATA_DIR!, 'master.key'), path.join(fresh, 'master.key'));
    const restored = await runCli(['backup', 'restore', backup.id], restoreEnv);
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    expect(restored.stdout).toContain(`restored backup ${backup.id} (whole instance)`);
    const tenants = JSON.parse((await runCli(['tenant', 'list', '--json'], restoreEnv)).stdout) as Array<{ slug: string }>;
    expect(tenants.map((t) => t.slug)).toContain(slug);
  });
});
