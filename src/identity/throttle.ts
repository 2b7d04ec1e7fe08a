import { createHmac } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Keyring } from '../keys/keyring.js';
import { deriveKey } from '../keys/secret-box.js';
import * as repo from './credentials.repository.js';
import { IdentityError } from './identity.errors.js';

/**
 * Sign-in throttling, kept in the database so it holds across app nodes.
 * Per account: 5 free failures, then a delay doubling from 2 s up to 15 min;
 * never more than 100 failures an hour (ASVS 2.2.1). Per IP address the
 * same with 20 free failures, so one office behind NAT is not locked out by
 * a colleague. While a delay lasts every attempt gets 429 with Retry-After,
 * the right password too. A successful sign-in clears the account's count.
 *
 * An attempt is counted when it is admitted, before its password is checked:
 * one statement per key increments the count and sets the delay only if no
 * delay is running (see credentials.repository.ts `admitAttempt`), so
 * parallel attempts are admitted exactly as many as one by one. An attempt
 * that succeeds is given back (`attemptSucceeded`).
 */

const WINDOW_MS = 60 * 60 * 1000;
const HOURLY_CAP = 100;
const MAX_DELAY_SECONDS = 15 * 60;

export interface ThrottlePolicy {
  freeFailures: number;
}

export const ACCOUNT: ThrottlePolicy = { freeFailures: 5 };
export const IP: ThrottlePolicy = { freeFailures: 20 };

export interface ThrottleKeys {
  account: Buffer;
  ip: Buffer | null;
}

// Keyed digests (HMAC under a key derived from the instance key), so the
// table holds neither e-mail addresses nor IPs, and neither can be found by
// hashing guesses: the IPv4 space is small enough to hash whole.
function digest(keyring: Keyring, ...parts: string[]): Buffer {
  return createHmac('sha256', deriveKey(keyring.instanceKey, 'sign-in-throttle')).update(parts.join('\0')).digest();
}

export function throttleKeys(keyring: Keyring, tenantSlug: string, email: string, ip: string | undefined): ThrottleKeys {
  return {
    account: digest(keyring, 'account', tenantSlug.trim().toLowerCase(), email.trim().toLowerCase()),
    ip: ip ? digest(keyring, 'ip', ip) : null,
  };
}

function keysOf(keys: ThrottleKeys): Array<{ key: Buffer; policy: ThrottlePolicy }> {
  const all = [{ key: keys.account, policy: ACCOUNT }];
  return keys.ip ? [...all, { key: keys.ip, policy: IP }] : all;
}

export function throttled(until: Date, now: Date): IdentityError {
  const seconds = Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000));
  return new IdentityError('too_many_attempts', `too many failed attempts; try again in ${seconds} s`, {
    retryAfterSeconds: seconds,
  });
}

export function delayAfter(failures: number, policy: ThrottlePolicy): number {
  if (failures <= policy.freeFailures) return 0;
  return Math.min(2 ** (failures - policy.freeFailures), MAX_DELAY_SECONDS);
}

/**
 * Counts an attempt against the account and the address, or throws 429 (with
 * the seconds to wait) while either is blocked. Both counts are taken in one
 * transaction: an attempt refused by one key is not counted by the other.
 */
export async function admitAttempt(db: Kysely<Database>, keys: ThrottleKeys, now = new Date()): Promise<void> {
  const admit = async (trx: Kysely<Database>) => {
    for (const { key, policy } of keysOf(keys)) {
      const admitted = await repo.admitAttempt(trx, key, {
        now,
        windowMs: WINDOW_MS,
        hourlyCap: HOURLY_CAP,
        freeFailures: policy.freeFailures,
        maxDelaySeconds: MAX_DELAY_SECONDS,
      });
      if (!admitted) return (await repo.blockedUntil(trx, [key], now)) ?? new Date(now.getTime() + 1000);
    }
    return null;
  };
  // Rolled back when refused, so the key that admitted does not count it either.
  const refusedUntil = db.isTransaction
    ? await admit(db)
    : await db
        .transaction()
        .execute(async (trx) => {
          const until = await admit(trx);
          if (until) throw new Refused(until);
          return null;
        })
        .catch((error: unknown) => {
          if (error instanceof Refused) return error.until;
          throw error;
        });
  if (refusedUntil) throw throttled(refusedUntil, now);
}

class Refused extends Error {
  constructor(readonly until: Date) {
    super('refused');
  }
}

/**
 * An admitted attempt that succeeded is not a failure: it is given back to
 * both counts, and a successful sign-in (`clearAccount`) clears the account's.
 */
export async function attemptSucceeded(db: Kysely<Database>, keys: ThrottleKeys, options: { clearAccount?: boolean } = {}): Promise<void> {
  if (options.clearAccount) await repo.clearThrottle(db, keys.account);
  else await repo.refundAttempt(db, keys.account, ACCOUNT.freeFailures);
  if (keys.ip) await repo.refundAttempt(db, keys.ip, IP.freeFailures);
}
