import { LRUCache } from 'lru-cache';
import type { ApiTokenScope } from '../db/schema.js';
import type { User } from '../shared/actor.js';
import { FENCE_MS, isTenantFenced } from '../tenants/tenant-fence.js';

/**
 * Authenticated credentials, remembered for a few seconds so that a burst of
 * requests with one token costs one lookup instead of one per request.
 *
 * In this process a change is in force on the very next request: every write
 * that ends or changes a credential (sign-out, session revocation, password
 * change or reset, user update or deactivation, MFA changes, API token
 * revocation, tenant status or policy) fences the session, user or tenant it
 * touches, and a fenced credential is neither served from here nor stored
 * here until the fence lapses (`FENCE_MS`, longer than any such transaction
 * takes to commit, so a lookup that read the old state cannot put it back).
 * Erasing the user's subject drops their key from the keyring, which this
 * cache checks on every hit. Other processes (more app nodes, or the CLI on
 * PostgreSQL) cannot fence this one: there a change takes effect within
 * `AUTH_CACHE_TTL_MS`. See docs/performance.md.
 */

export const AUTH_CACHE_TTL_MS = 5_000;

export interface CachedCredential {
  tenantId: string;
  userId: string;
  /** The user's subject; its key must still be in the keyring for the entry to count. */
  userSubjectId: string | null;
  user: User;
  via: 'session' | 'token';
  credentialId: string;
  scopes: ApiTokenScope[];
  mfaEnrolmentRequired: boolean;
  /** Epoch ms after which the credential must be looked at again (expiry, or the next last-seen write). */
  recheckAt: number;
}

const credentials = new LRUCache<string, CachedCredential>({ max: 10_000, ttl: AUTH_CACHE_TTL_MS, ttlAutopurge: false });
const fences = new LRUCache<string, true>({ max: 100_000, ttl: FENCE_MS, ttlAutopurge: false });

const sessionFence = (tenantId: string, id: string) => `c:${tenantId}:${id}`;
const userFence = (tenantId: string, userId: string) => `u:${tenantId}:${userId}`;

function fenced(c: CachedCredential): boolean {
  return fences.has(sessionFence(c.tenantId, c.credentialId)) || fences.has(userFence(c.tenantId, c.userId)) || isTenantFenced(c.tenantId);
}

/** The credential behind a token hash, if remembered, unfenced and not due for a recheck. */
export function cachedCredential(tokenHash: string, now: number): CachedCredential | undefined {
  const hit = credentials.get(tokenHash);
  if (!hit) return undefined;
  if (now >= hit.recheckAt || fenced(hit)) {
    credentials.delete(tokenHash);
    return undefined;
  }
  return hit;
}

export function rememberCredential(tokenHash: string, credential: CachedCredential): void {
  if (!fenced(credential)) credentials.set(tokenHash, credential);
}

/** A session or API token ended or changed. */
export function fenceCredential(tenantId: string, id: string): void {
  fences.set(sessionFence(tenantId, id), true);
}

/** Something about the user changed: status, password, second factor, profile, sessions. */
export function fenceUser(tenantId: string, userId: string): void {
  fences.set(userFence(tenantId, userId), true);
}
