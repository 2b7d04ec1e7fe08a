import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockPath } from '../src/db/data-dir-lock.js';
import { testDbKind, useTestDatabase } from './db.js';
import { uniqueSlug } from './factories.js';
import { preparedDataDir, runCli, scratchDir, tenantCreateArgs, useCliDatabase } from './processes.js';

// The real `custodia` binary, on an embedded data dir (pglite project) or on
// this file's own server database (postgres project).
const kind = testDbKind();
const db = useTestDatabase();
const cli = useCliDatabase(db);

// The binary itself: one JSON object on stdout, exit codes, configuration
// from the environment and .env, the data dir lock. Every command's arguments
// and output are tested in process, in src/cli/main.test.ts.
// Each case spawns real processes; on a busy 2-core machine that takes a while.
describe(`custodia CLI (${kind})`, { timeout: 120_000 }, () => {
  it('creates a tenant, printing exactly one JSON object, and refuses a second one with exit 1', async () => {
    const slug = uniqueSlug('cli');
    const created = await runCli(tenantCreateArgs(slug), cli.env);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const lines = created.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const json = JSON.parse(lines[0]!);
    expect(Object.keys(json).sort()).toEqual(['adminUserId', 'slug', 'tenantId']);
    expect(json.slug).toBe(slug);

    const duplicate = await runCli(tenantCreateArgs(slug), cli.env);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stdout).toBe('');
    expect(duplicate.stderr.trim().split('\n')).toHaveLength(1);
    expect(duplicate.stderr).toContain(`a tenant with slug "${slug}" already exists`);
  });

  it('stops on a bad configuration value, naming the variable', async () => {
    const result = await runCli(['tenant', 'list'], { ...cli.env, CUSTODIA_BODY_LIMIT_BYTES: 'lots' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^custodia: invalid configuration: CUSTODIA_BODY_LIMIT_BYTES: must be a whole number/);
  });

  it('reads .env from the working directory, with the environment winning', async () => {
    const cwd = await scratchDir();
    await writeFile(path.join(cwd, '.env'), 'CUSTODIA_BODY_LIMIT_BYTES=not-a-number\n');
    expect((await runCli(['tenant', 'list'], cli.env, cwd)).stderr).toContain('CUSTODIA_BODY_LIMIT_BYTES');
    expect((await runCli(['tenant', 'list'], { ...cli.env, CUSTODIA_BODY_LIMIT_BYTES: '2048' }, cwd)).code).toBe(0);
  });
});

describe.runIf(kind === 'pglite')('custodia CLI and the data dir lock', { timeout: 120_000 }, () => {
  it('refuses, saying why, while another command holds the data dir', async () => {
    const dataDir = await preparedDataDir();
    // pid 1 is alive and is not this process: it stands in for a running `custodia migrate`.
    await writeFile(lockPath(dataDir), JSON.stringify({ pid: 1, role: 'cli', since: new Date().toISOString() }));
    const result = await runCli(['tenant', 'list'], { CUSTODIA_DATA_DIR: dataDir });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('in use by another custodia command (pid 1)');
  });
});
