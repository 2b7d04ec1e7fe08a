import { CronExpressionParser } from 'cron-parser';
import type { Config } from '../config.js';
import { startPeriodicJob, type JobLog, type PeriodicJob } from '../shared/periodic-job.js';
import { BackupRunError } from './backup-runs.errors.js';
import * as repo from './backup-runs.repository.js';
import {
  completeRun,
  describeFailure,
  instanceLease,
  newLeaseHolder,
  openRun,
  recordMissed,
  rotateBackups,
  tombstoneLease,
  verifyAndBackUpKeys,
  withLease,
  backupOperations,
  type BackupOperations,
  type RunDeps,
} from './backup-runs.service.js';
import type { BackupContext } from './backup.service.js';

/**
 * The backup schedule (issue 18): cron expressions in the server's time zone
 * (config.backups.schedule, default three times a day) plus the nightly one,
 * which also verifies the backup it made and backs up the key store. Each
 * due time is answered once, by one node: the one that gets the instance's
 * lease. A due time nobody answered (every node was down) is recorded as
 * missed and alerted once a node sees it, and a backup is made at once.
 * Rotation follows every good run.
 */

export type DueKind = 'scheduled' | 'nightly';

export interface ScheduleEntry {
  expression: string;
  kind: DueKind;
}

export interface Schedule {
  entries: ScheduleEntry[];
  /** IANA time zone; the server's own when undefined. */
  tz?: string;
}

export interface Due {
  at: Date;
  kind: DueKind;
}

/** The configured schedule, each expression checked (a bad one stops the start with its variable named). */
export function scheduleOf(backups: Pick<Config['backups'], 'schedule' | 'nightly'>, tz?: string): Schedule {
  const entries: ScheduleEntry[] = [
    ...backups.schedule.map((expression) => ({ expression, kind: 'scheduled' as const })),
    ...(backups.nightly ? [{ expression: backups.nightly, kind: 'nightly' as const }] : []),
  ];
  for (const { expression, kind } of entries) {
    try {
      CronExpressionParser.parse(expression, tz ? { tz } : {});
    } catch (error) {
      const variable = kind === 'nightly' ? 'CUSTODIA_BACKUP_NIGHTLY' : 'CUSTODIA_BACKUP_SCHEDULE';
      throw new BackupRunError(
        'backup_schedule_invalid',
        `${variable}: "${expression}" is not a valid cron expression (${(error as Error).message})`,
      );
    }
  }
  return { entries, ...(tz ? { tz } : {}) };
}

function parse(schedule: Schedule, expression: string, currentDate: Date) {
  return CronExpressionParser.parse(expression, { currentDate, ...(schedule.tz ? { tz: schedule.tz } : {}) });
}

// When a scheduled and the nightly backup fall on the same moment, the nightly one (which does more) answers it.
const stronger = (a: Due, b: Due) => (b.at.getTime() === a.at.getTime() ? (b.kind === 'nightly' ? b : a) : b);

/** The first due time strictly after `after`. */
export function nextDue(schedule: Schedule, after: Date): Due | undefined {
  let best: Due | undefined;
  for (const { expression, kind } of schedule.entries) {
    const at = parse(schedule, expression, after).next().toDate();
    const due = { at, kind };
    if (!best || at < best.at) best = due;
    else if (at.getTime() === best.at.getTime()) best = stronger(best, due);
  }
  return best;
}

/** The last due time at or before `atOrBefore`. */
export function previousDue(schedule: Schedule, atOrBefore: Date): Due | undefined {
  let best: Due | undefined;
  // prev() is strictly before its start: start a millisecond later so a due time of exactly now counts.
  const from = new Date(atOrBefore.getTime() + 1);
  for (const { expression, kind } of schedule.entries) {
    const at = parse(schedule, expression, from).prev().toDate();
    if (at > atOrBefore) continue;
    const due = { at, kind };
    if (!best || at > best.at) best = due;
    else if (at.getTime() === best.at.getTime()) best = stronger(best, due);
  }
  return best;
}

/** The next `count` due times after `after` (for `custodia backup schedule` and the API). */
export function upcoming(schedule: Schedule, after: Date, count: number): Due[] {
  const out: Due[] = [];
  let from = after;
  while (out.length < count) {
    const due = nextDue(schedule, from);
    if (!due) break;
    out.push(due);
    from = due.at;
  }
  return out;
}

export interface ScheduleReport {
  enabled: boolean;
  expressions: string[];
  nightly: string | null;
  /** The next due times, in the server's time zone's cron, as instants. */
  next: Due[];
}

/** What `custodia backup schedule` prints: the configured schedule and the next `count` due times after `now`. */
export function describeSchedule(backups: Pick<Config['backups'], 'schedule' | 'nightly'>, now: Date, count = 5): ScheduleReport {
  const schedule = scheduleOf(backups);
  return {
    enabled: schedule.entries.length > 0,
    expressions: backups.schedule,
    nightly: backups.nightly ?? null,
    next: upcoming(schedule, now, count),
  };
}

// --- the scheduler -----------------------------------------------------------------------------

export interface SchedulerOptions {
  ctx: BackupContext;
  log: JobLog;
  ops?: BackupOperations;
  /** The lease holder name of this node; a fresh one by default. */
  holder?: string;
  /** How late a due time may be answered as on time (a timer that fires late, a slow start). */
  graceMs?: number;
  leaseMs?: number;
  tz?: string;
  /** false: no timers, only tick() (tests with an injected clock). */
  timers?: boolean;
  /** The first look, for a due time missed while no node ran: a little after start, so the start itself stays quick. */
  firstAfterMs?: number;
}

export interface TickResult {
  /** What this node did about the last due time. */
  outcome: 'none_due' | 'answered' | 'not_leader' | 'ran' | 'missed_then_ran';
  runId?: string;
  status?: repo.RunRow['status'];
}

export interface BackupScheduler {
  /** Looks at the last due time and answers it if nobody has; the timer calls it, tests call it with their clock. */
  tick(): Promise<TickResult>;
  /** When the next backup is due, if any is scheduled. */
  nextAt(): Date | null;
  /** No new run starts; waits for the one in flight. */
  stop(): Promise<void>;
}

const DEFAULT_GRACE_MS = 10 * 60_000;
// A timer is set at most this far ahead, so a changed system clock is noticed.
const MAX_SLEEP_MS = 60 * 60_000;

/** Answers one due time under the instance's lease: a normal run, or a missed one recorded and made up for at once. */
async function answerDue(deps: RunDeps, options: { holder: string; graceMs: number; leaseMs?: number }, due: Due): Promise<TickResult> {
  const db = deps.ctx.database.db;
  const now = (deps.ctx.now ?? (() => new Date()))();
  const lease = { name: instanceLease, holder: options.holder, ...(options.leaseMs ? { ttlMs: options.leaseMs } : {}) };
  const result = await withLease(db, lease, async (): Promise<TickResult> => {
    if (await repo.instanceRunSince(db, due.at)) return { outcome: 'answered' };
    let outcome: TickResult['outcome'] = 'ran';
    if (now.getTime() - due.at.getTime() > options.graceMs) {
      // A fresh instance has missed nothing: its first backup comes at the next due time.
      if (!(await repo.anyInstanceRun(db))) return { outcome: 'none_due' };
      await recordMissed(deps, due.kind, due.at);
      outcome = 'missed_then_ran';
    }
    const opened = await openRun(deps, { kind: due.kind, dueAt: due.at });
    const made = await completeRun(deps, opened);
    let run = made.run;
    if (run.status === 'ok') {
      if (due.kind === 'nightly') run = await verifyAndBackUpKeys(deps, run, { keysBackedUp: Boolean(made.backup?.keyBackupId) });
      try {
        await rotateBackups(deps, new Set(run.backup_id ? [run.backup_id] : []));
      } catch (error) {
        deps.log.error({ code: describeFailure(error, 'rotation_failed').code }, 'backup rotation failed; will try again');
      }
    }
    return { outcome, runId: run.id, status: run.status };
  });
  return result.ran ? result.value : { outcome: 'not_leader' };
}

/**
 * Runs the schedule in this process: at start and at every due time, the
 * last due time is answered unless another node did. Timers are unref'd;
 * never two rounds at once; stop() waits for the round in flight.
 */
export function startBackupScheduler(options: SchedulerOptions): BackupScheduler {
  const { ctx, log } = options;
  const schedule = scheduleOf(ctx.config.backups, options.tz);
  const deps: RunDeps = { ctx, log, ops: options.ops ?? backupOperations };
  const holder = options.holder ?? newLeaseHolder();
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  const now = () => (ctx.now ?? (() => new Date()))();
  let running: Promise<TickResult> | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const tick = (): Promise<TickResult> => {
    if (running) return running;
    const due = previousDue(schedule, now());
    const round = (async (): Promise<TickResult> => {
      if (!due) return { outcome: 'none_due' };
      return answerDue(deps, { holder, graceMs, ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}) }, due);
    })();
    running = round
      .catch((error: unknown): TickResult => {
        log.error({ code: describeFailure(error, 'backup_schedule_failed').code }, 'backup schedule round failed; will try again');
        return { outcome: 'none_due' };
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  const arm = () => {
    if (stopped || options.timers === false || schedule.entries.length === 0) return;
    const next = nextDue(schedule, now());
    if (!next) return;
    const delay = Math.min(Math.max(next.at.getTime() - now().getTime(), 0) + 50, MAX_SLEEP_MS);
    timer = setTimeout(() => {
      if (stopped) return;
      void tick().finally(arm);
    }, delay);
    timer.unref();
  };

  if (schedule.entries.length > 0 && options.timers !== false) {
    timer = setTimeout(() => {
      if (stopped) return;
      void tick().finally(arm);
    }, options.firstAfterMs ?? 5_000);
    timer.unref();
  }

  return {
    tick,
    nextAt: () => nextDue(schedule, now())?.at ?? null,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}

/** Ships the tombstones of erasures to the backup target every minute (one node at a time), and once more at stop. */
export function startTombstoneShipper(options: {
  ctx: BackupContext;
  log: JobLog;
  ops?: BackupOperations;
  holder?: string;
  everyMs?: number;
}): PeriodicJob {
  const ops = options.ops ?? backupOperations;
  const holder = options.holder ?? newLeaseHolder();
  const db = options.ctx.database.db;
  const ship = async () => {
    const result = await withLease(db, { name: tombstoneLease, holder, ttlMs: 2 * 60_000 }, () => ops.shipTombstones(options.ctx));
    if (result.ran && result.value.shipped > 0)
      options.log.info({ shipped: result.value.shipped }, 'tombstones shipped to the backup target');
  };
  const job = startPeriodicJob({
    name: 'tombstone shipping',
    log: options.log,
    everyMs: options.everyMs ?? 60_000,
    firstAfterMs: 10_000,
    work: ship,
  });
  return {
    async stop() {
      await job.stop();
      try {
        await ship();
      } catch (error) {
        options.log.error({ code: describeFailure(error, 'tombstones_failed').code }, 'tombstones could not be shipped at shutdown');
      }
    },
  };
}
