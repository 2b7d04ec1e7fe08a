import type { Config } from '../config.js';

/**
 * Rotation of data backups (issue 18), grandfather-father-son: every backup
 * of the last `hours` hours, then the newest of each calendar day for the
 * last `days` days, of each ISO week for the last `weeks` weeks and of each
 * month for the last `months` months (today, this week and this month
 * included); everything else goes. Days, weeks and months are UTC, so the
 * answer does not depend on the server's time zone.
 *
 * Backups rotate in groups: the instance's backups together, and each
 * tenant's backups within that tenant, so a tenant's only backup is never
 * swept away by the instance's many. The newest backup of a group always
 * stays, and so does any backup named in `protect` (e.g. one being verified).
 * Key-store backups rotate apart (backupKeys, by config.backups.keyBackupDays).
 */

export type RotationPolicy = Config['backups']['keep'];

export interface RotatedBackup {
  id: string;
  createdAt: Date;
  /** Null: a backup of the whole instance. */
  tenantId: string | null;
}

export interface RotationPlan {
  keep: string[];
  remove: string[];
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

const dayOf = (d: Date) => Math.floor(d.getTime() / DAY_MS);

/** The Monday (as a day number) of the ISO week `d` falls in. */
function isoWeekOf(d: Date): number {
  const day = dayOf(d);
  // Day 0 (1970-01-01) was a Thursday: (day + 3) % 7 is 0 on Mondays.
  return day - ((day + 3) % 7);
}

const monthOf = (d: Date) => d.getUTCFullYear() * 12 + d.getUTCMonth();

/** The newest backup of each bucket whose key lies within `count` buckets of now's (now's own included). */
function newestPerBucket(
  backups: readonly RotatedBackup[],
  bucketOf: (d: Date) => number,
  step: number,
  now: Date,
  count: number,
): string[] {
  if (count <= 0) return [];
  const current = bucketOf(now);
  const oldest = current - (count - 1) * step;
  const newest = new Map<number, RotatedBackup>();
  for (const backup of backups) {
    const bucket = bucketOf(backup.createdAt);
    if (bucket < oldest || bucket > current) continue;
    const seen = newest.get(bucket);
    if (!seen || backup.createdAt > seen.createdAt) newest.set(bucket, backup);
  }
  return [...newest.values()].map((b) => b.id);
}

function planGroup(backups: readonly RotatedBackup[], policy: RotationPolicy, now: Date, protect: ReadonlySet<string>): Set<string> {
  const keep = new Set<string>();
  const since = now.getTime() - policy.hours * HOUR_MS;
  for (const b of backups) if (b.createdAt.getTime() > since || protect.has(b.id)) keep.add(b.id);
  for (const id of newestPerBucket(backups, dayOf, 1, now, policy.days)) keep.add(id);
  for (const id of newestPerBucket(backups, isoWeekOf, 7, now, policy.weeks)) keep.add(id);
  for (const id of newestPerBucket(backups, monthOf, 1, now, policy.months)) keep.add(id);
  const newest = backups.reduce<RotatedBackup | undefined>((a, b) => (!a || b.createdAt > a.createdAt ? b : a), undefined);
  if (newest) keep.add(newest.id);
  return keep;
}

/** Which backups rotation keeps and which it removes (pure: the clock is `now`). */
export function planRotation(
  backups: readonly RotatedBackup[],
  policy: RotationPolicy,
  now: Date,
  protect: ReadonlySet<string> = new Set(),
): RotationPlan {
  const groups = new Map<string, RotatedBackup[]>();
  for (const b of backups) {
    const key = b.tenantId ?? '';
    const group = groups.get(key);
    if (group) group.push(b);
    else groups.set(key, [b]);
  }
  const keep = new Set<string>();
  for (const group of groups.values()) for (const id of planGroup(group, policy, now, protect)) keep.add(id);
  const byAge = [...backups].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  return {
    keep: byAge.filter((b) => keep.has(b.id)).map((b) => b.id),
    remove: byAge.filter((b) => !keep.has(b.id)).map((b) => b.id),
  };
}

export interface RotationOperations {
  list(): Promise<RotatedBackup[]>;
  remove(id: string): Promise<void>;
}

export interface RotationReport {
  kept: number;
  removed: string[];
  /** Backups rotation meant to remove but could not; the next rotation tries again. */
  failed: number;
}

/** Applies the plan: removes what it does not keep, one backup at a time, going on past a failed removal. */
export async function applyRotation(
  ops: RotationOperations,
  policy: RotationPolicy,
  now: Date,
  protect: ReadonlySet<string> = new Set(),
): Promise<RotationReport> {
  const plan = planRotation(await ops.list(), policy, now, protect);
  const removed: string[] = [];
  let failed = 0;
  for (const id of plan.remove) {
    try {
      await ops.remove(id);
      removed.push(id);
    } catch {
      failed++;
    }
  }
  return { kept: plan.keep.length, removed, failed };
}
