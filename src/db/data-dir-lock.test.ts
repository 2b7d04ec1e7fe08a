import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireDataDirLock, currentHolder, DataDirBusyError, lockPath } from './data-dir-lock.js';

function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'custodia-lock-'));
}

/** A pid that certainly belongs to no running process: one that just exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

describe('data dir lock', () => {
  it('lets one holder in and tells the next who holds it', () => {
    const dir = tempDir();
    const lock = acquireDataDirLock(dir, { role: 'server', socket: '/tmp/x.sock' });
    expect(JSON.parse(readFileSync(lockPath(dir), 'utf8'))).toMatchObject({ pid: process.pid, role: 'server' });
    expect(() => acquireDataDirLock(dir, { role: 'cli' })).toThrow(DataDirBusyError);
    expect(() => acquireDataDirLock(dir, { role: 'cli' })).toThrow(/in use by a Custodia server/);
    lock.release();
    expect(existsSync(lockPath(dir))).toBe(false);
    acquireDataDirLock(dir, { role: 'cli' }).release();
  });

  it('takes over a lock left by a process that no longer exists', () => {
    const dir = tempDir();
    writeFileSync(lockPath(dir), JSON.stringify({ pid: deadPid(), role: 'server', since: 'then' }));
    expect(currentHolder(dir)).toBeUndefined();
    const lock = acquireDataDirLock(dir, { role: 'cli' });
    expect(lock.holder.pid).toBe(process.pid);
    lock.release();
  });

  it('treats a torn (empty) lock file as stale', () => {
    const dir = tempDir();
    writeFileSync(lockPath(dir), '');
    acquireDataDirLock(dir, { role: 'cli' }).release();
  });

  it('refuses while another live process holds it', () => {
    const dir = tempDir();
    // pid 1 is always alive; it stands in for another custodia command.
    writeFileSync(lockPath(dir), JSON.stringify({ pid: 1, role: 'cli', since: 'now' }));
    expect(() => acquireDataDirLock(dir, { role: 'server' })).toThrow(/another custodia command \(pid 1\)/);
    expect(JSON.parse(readFileSync(lockPath(dir), 'utf8')).pid).toBe(1);
  });

  it('does not release a lock it does not hold', () => {
    const dir = tempDir();
    const lock = acquireDataDirLock(dir, { role: 'cli' });
    writeFileSync(lockPath(dir), JSON.stringify({ pid: 1, role: 'server', since: 'now' }));
    lock.release();
    expect(existsSync(lockPath(dir))).toBe(true);
  });
});
