import { describe, expect, it } from 'vitest';
import { applyRotation, planRotation, type RotatedBackup } from './rotation.js';

// Rotation with an injected clock: which backups of a long history stay.

const DEFAULT = { hours: 24, days: 7, weeks: 5, months: 12 };
const DAY_MS = 86_400_000;

/** Three backups a day (07:00, 12:00, 17:00 UTC) for `days` days up to and including `last`. */
function threeADay(last: string, days: number, tenantId: string | null = null): RotatedBackup[] {
  const end = Date.parse(`${last}T00:00:00Z`);
  const out: RotatedBackup[] = [];
  for (let i = days - 1; i >= 0; i--) {
    const day = new Date(end - i * DAY_MS).toISOString().slice(0, 10);
    for (const hour of ['07', '12', '17'])
      out.push({ id: `${tenantId ?? 'i'}-${day}T${hour}`, createdAt: new Date(`${day}T${hour}:00:00Z`), tenantId });
  }
  return out;
}

describe('backup rotation', () => {
  it('keeps, of 400 days of three-a-day backups, the last 24 hours, one per day for 7 days, per ISO week for 5 weeks and per month for 12 months', () => {
    const backups = threeADay('2026-12-02', 400);
    expect(backups).toHaveLength(1200);
    const now = new Date('2026-12-02T18:00:00Z'); // a Wednesday
    const plan = planRotation(backups, DEFAULT, now);
    expect(plan.keep).toEqual([
      // the last 24 hours: today's three (yesterday 17:00 is 25 hours old)
      'i-2026-12-02T17',
      'i-2026-12-02T12',
      'i-2026-12-02T07',
      // the newest of each of the last 7 days (today's counted above)
      'i-2026-12-01T17',
      'i-2026-11-30T17', // also November's newest
      'i-2026-11-29T17', // also the newest of the ISO week that ended on Sunday 29 November
      'i-2026-11-28T17',
      'i-2026-11-27T17',
      'i-2026-11-26T17',
      // the newest of each of the 4 ISO weeks before this one (Sundays)
      'i-2026-11-22T17',
      'i-2026-11-15T17',
      'i-2026-11-08T17',
      // the newest of each of the 10 months before November
      'i-2026-10-31T17',
      'i-2026-09-30T17',
      'i-2026-08-31T17',
      'i-2026-07-31T17',
      'i-2026-06-30T17',
      'i-2026-05-31T17',
      'i-2026-04-30T17',
      'i-2026-03-31T17',
      'i-2026-02-28T17',
      'i-2026-01-31T17',
    ]);
    expect(plan.remove).toHaveLength(1200 - 22);
    expect(new Set([...plan.keep, ...plan.remove]).size).toBe(1200);
  });

  it('is stable: rotating what it kept, a day later, removes only what has aged out', () => {
    const backups = threeADay('2026-12-02', 400);
    const first = planRotation(backups, DEFAULT, new Date('2026-12-02T18:00:00Z'));
    const kept = backups.filter((b) => first.keep.includes(b.id));
    const next = planRotation([...kept, ...threeADay('2026-12-03', 1)], DEFAULT, new Date('2026-12-03T18:00:00Z'));
    // Yesterday's 07:00 and 12:00 leave the 24 hours; 26 November leaves the 7 days.
    expect(next.remove).toEqual(['i-2026-12-02T12', 'i-2026-12-02T07', 'i-2026-11-26T17']);
  });

  it('rotates a tenant within its tenant: the instance’s backups never push out a tenant’s only backup', () => {
    const instance = threeADay('2026-12-02', 60);
    const tenantA: RotatedBackup = { id: 'a-old', createdAt: new Date('2025-01-15T09:00:00Z'), tenantId: 'tenant-a' };
    const tenantB = threeADay('2026-12-02', 3, 'tenant-b');
    const plan = planRotation([...instance, tenantA, ...tenantB], DEFAULT, new Date('2026-12-02T18:00:00Z'));
    // Two years old, outside every window, but the newest (and only) backup of tenant A.
    expect(plan.keep).toContain('a-old');
    // Tenant B's rotate on their own: today's three and one for each earlier day.
    expect(plan.keep.filter((id) => id.startsWith('tenant-b'))).toEqual([
      'tenant-b-2026-12-02T17',
      'tenant-b-2026-12-02T12',
      'tenant-b-2026-12-02T07',
      'tenant-b-2026-12-01T17',
      'tenant-b-2026-11-30T17',
    ]);
    expect(plan.remove).toContain('tenant-b-2026-12-01T07');
  });

  it('never removes the newest backup, nor one being verified, whatever the policy', () => {
    const backups = threeADay('2026-01-10', 10);
    const plan = planRotation(
      backups,
      { hours: 0, days: 0, weeks: 0, months: 0 },
      new Date('2026-12-02T18:00:00Z'),
      new Set(['i-2026-01-05T12']),
    );
    expect(plan.keep).toEqual(['i-2026-01-10T17', 'i-2026-01-05T12']);
    expect(plan.remove).toHaveLength(28);
  });

  it('applies the plan through deleteBackup, going on past a removal that fails', async () => {
    const backups = threeADay('2026-12-02', 2);
    const removed: string[] = [];
    const report = await applyRotation(
      {
        list: async () => backups,
        remove: async (id) => {
          if (id === 'i-2026-12-01T12') throw new Error('target unavailable');
          removed.push(id);
        },
      },
      { hours: 1, days: 1, weeks: 0, months: 0 },
      new Date('2026-12-02T17:30:00Z'),
    );
    expect(removed).toEqual(['i-2026-12-02T12', 'i-2026-12-02T07', 'i-2026-12-01T17', 'i-2026-12-01T07']);
    expect(report).toEqual({ kept: 1, removed, failed: 1 });
  });
});
