import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import * as repo from './credentials.repository.js';
import { IdentityError } from './identity.errors.js';

/**
 * Sign-in throttling, kept in the database so it holds across app nodes.
 * Per account: 5 free failures, then a delay doubling from 2 s up to 15 min;
 * never more than 100 failures an hour (ASVS 2.2.1). Per IP address the
 * same with 20 free failures, so one office behind NAT is not locked out by
 * a colleague. While a delay lasts every attempt gets 429 with Retry-After,
 * the right password too. A successful sign-in clears the account's count.
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

// Digests, so the throttle table holds neither e-mail addresses nor IPs.
function digest(...parts: string[]): Buffer {
  return createHash('sha256').update(parts.join('\0')).digest();
}

export function throttleKeys(tenantSlug: string, email: string, ip: string | undefined): ThrottleKeys {
  return {
    account: digest('account', tenantSlug.trim().toLowerCase(), email.trim().toLowerCase()),
    ip: ip ? digest('ip', ip) : null,
  };
}

function keysOf(keys: ThrottleKeys): Buffer[] {
  return keys.ip ? [keys.account, keys.ip] : [keys.account];
}

/** Throws 429 (with the seconds to wait) while either key is blocked. */
export async function assertNotThrottled(db: Kysely<Database>, keys: ThrottleKeys, now = new Date()): Promise<void> {
  const until = await repo.blockedUntil(db, keysOf(keys), now);
  if (until) throw throttled(until, now);
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

async function countOne(db: Kysely<Database>, key: Buffer, policy: ThrottlePolicy, now: Date): Promise<void> {
  const { failures, windowStartedAt } = await repo.countFailure(db, key, now, WINDOW_MS);
  let until: Date | undefined;
  if (failures >= HOURLY_CAP) until = new Date(windowStartedAt.getTime() + WINDOW_MS);
  else if (delayAfter(failures, policy) > 0) until = new Date(now.getTime() + delayAfter(failures, policy) * 1000);
  if (until) await repo.blockUntil(db, key, until);
}

export async function recordFailure(db: Kysely<Database>, keys: ThrottleKeys, now = new Date()): Promise<void> {
  await countOne(db, keys.account, ACCOUNT, now);
  if (keys.ip) await countOne(db, keys.ip, IP, now);
}

export async function recordSuccess(db: Kysely<Database>, keys: ThrottleKeys): Promise<void> {
  await repo.clearThrottle(db, keys.account);
}
