import { createHash, randomBytes } from 'node:crypto';
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * PGlite is one process's database: two processes opening one data dir would
 * corrupt it. Whoever opens the data dir first (the server or a CLI command)
 * writes `custodia.lock` with O_EXCL; everyone else reads who holds it and
 * either talks to that server's admin socket or refuses with the reason.
 * A lock left by a process that no longer exists (kill -9, power loss) is
 * taken over.
 */

export interface LockHolder {
  pid: number;
  role: 'server' | 'cli';
  /** The server's admin socket, when the holder is a server. */
  socket?: string;
  since: string;
}

export class DataDirBusyError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
  ) {
    super(
      holder.role === 'server'
        ? `data dir ${dataDir} is in use by a Custodia server (pid ${holder.pid})`
        : `data dir ${dataDir} is in use by another custodia command (pid ${holder.pid}); try again when it has finished`,
    );
    this.name = 'DataDirBusyError';
  }
}

const heldHere = new Set<string>();

export function lockPath(dataDir: string): string {
  return path.join(dataDir, 'custodia.lock');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    if (typeof value.pid === 'number' && (value.role === 'server' || value.role === 'cli')) return value as LockHolder;
  } catch {
    // a torn write of a crashed process: treat as stale
  }
  return undefined;
}

/** Who holds the data dir right now, or undefined when nobody alive does. */
export function currentHolder(dataDir: string): LockHolder | undefined {
  let text: string;
  try {
    text = readFileSync(lockPath(dataDir), 'utf8');
  } catch {
    return undefined;
  }
  const holder = parseHolder(text);
  if (!holder) return undefined;
  // Our own pid on a lock we did not take is a leftover of an earlier process
  // that had the same pid (common for pid 1 in containers).
  if (holder.pid === process.pid) return heldHere.has(path.resolve(dataDir)) ? holder : undefined;
  return isAlive(holder.pid) ? holder : undefined;
}

/**
 * Moves a stale lock file out of the way. The rename is atomic, so of two
 * processes racing for a stale lock only one moves it; if what was moved
 * turns out to be a live holder's fresh lock, it is put back.
 */
function clearStaleLock(file: string): void {
  const aside = `${file}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(file, aside);
  } catch {
    return; // someone else moved it first
  }
  const moved = parseHolder(readFileSync(aside, 'utf8'));
  if (moved && isAlive(moved.pid)) {
    try {
      linkSync(aside, file);
    } catch {
      // a third process already holds the lock; its file stands
    }
  }
  unlinkSync(aside);
}

export interface DataDirLock {
  holder: LockHolder;
  release(): void;
}

export function acquireDataDirLock(dataDir: string, holder: Omit<LockHolder, 'pid' | 'since'>): DataDirLock {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = lockPath(dataDir);
  const mine: LockHolder = { ...holder, pid: process.pid, since: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    // Written aside and linked into place, so the lock file never exists
    // without its content (an empty one would look stale to others).
    const draft = `${file}.new-${process.pid}-${randomBytes(4).toString('hex')}`;
    const fd = openSync(draft, 'wx', 0o600);
    writeSync(fd, JSON.stringify(mine));
    closeSync(fd);
    try {
      linkSync(draft, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const live = currentHolder(dataDir);
      if (live) throw new DataDirBusyError(dataDir, live);
      clearStaleLock(file);
      continue;
    } finally {
      unlinkSync(draft);
    }
    heldHere.add(path.resolve(dataDir));
    return {
      holder: mine,
      release() {
        heldHere.delete(path.resolve(dataDir));
        try {
          const onDisk = parseHolder(readFileSync(file, 'utf8'));
          if (onDisk?.pid === process.pid) unlinkSync(file);
        } catch {
          // already gone
        }
      },
    };
  }
  throw new Error(`could not lock data dir ${dataDir}: the lock file keeps changing`);
}

// sun_path is 108 bytes on Linux, 104 on macOS.
const MAX_SOCKET_PATH = 100;

/** Where the admin socket of a server holding this data dir listens (the lock names it; cli/admin-socket.ts serves it). */
export function adminSocketPath(dataDir: string): string {
  const inDataDir = path.join(dataDir, 'admin.sock');
  if (Buffer.byteLength(inDataDir) <= MAX_SOCKET_PATH) return inDataDir;
  const digest = createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 16);
  return path.join(os.tmpdir(), `custodia-${digest}.sock`);
}
