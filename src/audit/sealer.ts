import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Keyring } from '../keys/keyring.js';
import * as repo from './audit.repository.js';
import { ChainWalker, GENESIS, macMatches, signHead } from './chain.js';

/**
 * The sealer: one per tenant at a time (the head row is locked, other nodes
 * skip it), it takes pending entries in batches, checks each one's MAC,
 * gives the good ones the next positions and chain hashes, refuses the rest
 * (written behind the application's back), and signs the new head.
 */

const BATCH = 2000;

export interface SealResult {
  sealed: number;
  rejected: number;
  /** Another sealer held the tenant's head. */
  busy: boolean;
}

/** Seals a tenant's pending entries; `wait` waits for another sealer instead of skipping. */
export async function sealTenant(
  db: Kysely<Database>,
  keyring: Keyring,
  tenantId: string,
  options: { wait?: boolean } = {},
): Promise<SealResult> {
  await repo.ensureHead(db, tenantId, GENESIS);
  const total: SealResult = { sealed: 0, rejected: 0, busy: false };
  for (;;) {
    const round = await db.transaction().execute(async (trx) => {
      const head = await repo.lockHead(trx, tenantId, options.wait);
      if (!head) return null;
      const rows = await repo.pendingEntries(trx, tenantId, BATCH);
      const chain = new ChainWalker(head.head_hash);
      let size = Number(head.size);
      let lastId = head.last_id;
      const sealed: Array<{ id: string; seq: number; prevId: string | null; hash: Buffer }> = [];
      const refused: string[] = [];
      for (const row of rows) {
        if (!macMatches(keyring, tenantId, row.encoding, row.mac)) {
          refused.push(row.id);
          continue;
        }
        size += 1;
        sealed.push({ id: row.id, seq: size, prevId: lastId, hash: chain.next(size, row.encoding) });
        lastId = row.id;
      }
      const hash = chain.head;
      await repo.sealEntries(trx, tenantId, sealed);
      await repo.rejectEntries(trx, tenantId, refused, new Date());
      if (sealed.length > 0) {
        const signature = signHead(keyring, { kind: 'head', tenantId, size, headHash: hash, lastId });
        await repo.updateHead(trx, tenantId, { size, headHash: hash, lastId, signature, signedAt: new Date() });
      }
      return { sealed: sealed.length, rejected: refused.length, more: rows.length === BATCH };
    });
    if (!round) return { ...total, busy: true };
    total.sealed += round.sealed;
    total.rejected += round.rejected;
    if (!round.more) return total;
  }
}

/** Seals every tenant with pending entries. */
export async function sealAll(db: Kysely<Database>, keyring: Keyring): Promise<{ sealed: number; rejected: number }> {
  const total = { sealed: 0, rejected: 0 };
  for (const tenantId of await repo.tenantsWithPendingEntries(db)) {
    const r = await sealTenant(db, keyring, tenantId);
    total.sealed += r.sealed;
    total.rejected += r.rejected;
  }
  return total;
}

const DAY = 86_400_000;

/**
 * Archives (deletes) a tenant's entries older than its retention, keeping the
 * chain verifiable: the chain state just before the first kept entry is
 * recorded and signed as the anchor first, in the same transaction.
 */
export async function archiveExpired(db: Kysely<Database>, keyring: Keyring, tenantId: string, now = new Date()): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const head = await repo.lockHead(trx, tenantId, true);
    if (!head) return 0;
    const cutoff = new Date(now.getTime() - head.retention_days * DAY);
    const last = await repo.lastPositionBefore(trx, tenantId, Number(head.anchor_seq), Number(head.size), cutoff);
    if (last <= Number(head.anchor_seq)) return 0;
    const entry = await repo.entryAt(trx, tenantId, last);
    if (!entry?.chain_hash) return 0;
    const signature = signHead(keyring, { kind: 'anchor', tenantId, size: last, headHash: entry.chain_hash, lastId: entry.id });
    await repo.setAnchor(trx, tenantId, { seq: last, hash: entry.chain_hash, id: entry.id, signature, at: now });
    return repo.deleteUpTo(trx, tenantId, last);
  });
}

export interface AuditSealer {
  /** Seals what is pending now (also what stop() does last). */
  sealNow(): Promise<void>;
  stop(): Promise<void>;
}

/** Runs the sealer every `intervalMs` in this app node, and archiving once an hour. */
export function startAuditSealer(deps: {
  db: Kysely<Database>;
  keyring: Keyring;
  log: FastifyBaseLogger;
  intervalMs?: number;
}): AuditSealer {
  const { db, keyring, log } = deps;
  let running: Promise<void> = Promise.resolve();
  let lastArchive = 0;
  let stopped = false;
  const tick = async () => {
    try {
      const { sealed, rejected } = await sealAll(db, keyring);
      if (rejected > 0)
        log.warn({ rejected }, 'audit entries without a valid MAC were refused by the sealer: rows written outside Custodia');
      if (sealed > 0) log.debug({ sealed }, 'audit entries sealed');
      if (Date.now() - lastArchive > 3_600_000) {
        lastArchive = Date.now();
        for (const { tenant_id } of await repo.headsDueForArchive(db, new Date())) {
          const archived = await archiveExpired(db, keyring, tenant_id);
          if (archived > 0)
            log.info({ tenant: tenant_id, archived }, 'audit entries past retention archived; the chain continues from a signed anchor');
        }
      }
    } catch (error) {
      log.error({ err: error }, 'audit sealer failed; retrying');
    }
  };
  const run = () => (running = running.then(tick));
  const timer = setInterval(() => {
    if (!stopped) void run();
  }, deps.intervalMs ?? 1000);
  timer.unref();
  return {
    sealNow: () => run(),
    async stop() {
      stopped = true;
      clearInterval(timer);
      await run();
    },
  };
}
