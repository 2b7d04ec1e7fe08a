import { LRUCache } from 'lru-cache';

/**
 * Tenants whose status or security policy changed a moment ago. Whatever
 * caches a tenant's credentials (identity/auth-cache.ts) asks here and
 * neither serves nor stores them while the fence stands: longer than any
 * such change's transaction takes to commit, so a lookup that read the old
 * state cannot put it back.
 */
export const FENCE_MS = 30_000;

const fenced = new LRUCache<string, true>({ max: 100_000, ttl: FENCE_MS, ttlAutopurge: false });

/** The tenant's status or policy changed. */
export function fenceTenant(tenantId: string): void {
  fenced.set(tenantId, true);
}

export function isTenantFenced(tenantId: string): boolean {
  return fenced.has(tenantId);
}
