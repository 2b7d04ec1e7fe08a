/** What a background job logs to: counts and codes only, never personal data. */
export interface JobLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface PeriodicJob {
  /** No new round starts; waits for the one in flight. */
  stop(): Promise<void>;
}

/**
 * Runs `work` a while after start and then every `everyMs`, never two rounds
 * at once (a round still running when the next is due is not doubled). A failed
 * round is logged with the error's code only — database errors may quote row
 * values — and the next round tries again. `work` gets `stopped()` so a long
 * round can end early when the process stops. Timers are unref'd: a job never
 * keeps the process alive. The housekeeping jobs (recycle bin, tenant purge,
 * sign-up and request-link purges, request reminders, retention) all run so.
 */
export function startPeriodicJob(options: {
  /** Names the job in the failure line: "<name> failed; will try again". */
  name: string;
  log: JobLog;
  everyMs: number;
  firstAfterMs?: number;
  work: (stopped: () => boolean) => Promise<void>;
}): PeriodicJob {
  let running: Promise<void> | undefined;
  let stopped = false;
  const run = () => {
    if (running || stopped) return;
    running = options
      .work(() => stopped)
      .catch((error: unknown) =>
        options.log.error({ code: (error as { code?: string }).code ?? 'unknown' }, `${options.name} failed; will try again`),
      )
      .finally(() => {
        running = undefined;
      });
  };
  const first = setTimeout(run, options.firstAfterMs ?? 60_000);
  const timer = setInterval(run, options.everyMs);
  first.unref();
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}
