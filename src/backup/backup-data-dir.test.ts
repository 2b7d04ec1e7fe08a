import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { migrateToLatest, openPglite, type DatabaseHandle } from '../db/database.js';
import { Keyring } from '../keys/keyring.js';
import { initializeKeys } from '../keys/keys.service.js';
import { LocalMasterKey } from '../keys/master-key-provider.js';
import { createTenant } from '../provisioning/provision.js';
import { backupContext, createBackup, listBackups, verifyBackup } from './backup.service.js';

// The embedded database as `npm start` keeps it: PostgreSQL's files in the data
// dir beside the master key, the admin socket of the running server, the file
// blobs and the backups themselves. A backup snapshots PostgreSQL's files only.

let dataDir: string;
let handle: DatabaseHandle;
let socket: net.Server;
const keyring = new Keyring(new LocalMasterKey(randomBytes(32), 'test master key'));

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'custodia-datadir-'));
  handle = await openPglite({ dataDir });
  await migrateToLatest(handle.db);
  await initializeKeys(handle.db, keyring);
  // A running server's admin socket: a file no archiver can read.
  socket = net.createServer();
  await new Promise<void>((resolve) => socket.listen(path.join(dataDir, 'admin.sock'), resolve));
});

afterAll(async () => {
  await new Promise((resolve) => socket?.close(resolve));
  await handle?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('a backup of an embedded data dir in use', () => {
  it('is made while the admin socket is open, with its target inside the data dir, and verifies in full', async () => {
    const config = loadConfig({ CUSTODIA_DATA_DIR: dataDir, CUSTODIA_TEST_CHEAP_PASSWORD_HASHING: 'true', NODE_ENV: 'test' });
    expect(config.backups.target).toEqual({ kind: 'dir', path: path.join(dataDir, 'backups') });
    await createTenant(
      handle.db,
      { argon2: config.argon2, keyring },
      {
        slug: 'snap',
        name: 'Snap BV',
        adminEmail: 'admin@snap.test',
        adminPassword: 'a long passphrase of ours',
      },
    );
    const ctx = backupContext({ config, database: handle, keyring });

    const first = await createBackup(ctx);
    expect(first.stallMs).toEqual(expect.any(Number));
    const second = await createBackup(ctx);
    // The second backup's snapshot did not carry the first backup along: same size within a margin.
    expect(second.bytes).toBeLessThan(first.bytes * 1.5);
    expect((await listBackups(ctx)).map((b) => b.id)).toEqual(expect.arrayContaining([first.id, second.id]));
    expect(await verifyBackup(ctx, second.id, { full: true })).toMatchObject({ ok: true, full: true });
    // No scratch copy is left behind, and the data dir still holds its socket.
    expect((await readdir(tmpdir())).filter((name) => name.startsWith('custodia-snapshot-'))).toEqual([]);
    expect(await readdir(dataDir)).toContain('admin.sock');
  });
});
