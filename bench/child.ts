import { fork, type ChildProcess } from 'node:child_process';

/**
 * The servers under test run in child processes, so autocannon (in the
 * parent) and the server each get a core and the server's memory is its own.
 * They talk over the IPC channel: the child announces its URL, samples its
 * own memory while a case runs, and stops cleanly when asked.
 */

export interface MemoryPeak {
  rssMiB: number;
  heapUsedMiB: number;
}

type ToChild = { type: 'sample-start' } | { type: 'sample-stop' } | { type: 'stop' };
type FromChild = { type: 'ready'; url: string } | { type: 'memory'; peak: MemoryPeak } | { type: 'stopped' };

const MiB = 1024 * 1024;

/** In the child: answers the parent's requests once the server listens at `url`. */
export function serveParent(url: string, stop: () => Promise<void>): void {
  let peak: MemoryPeak = { rssMiB: 0, heapUsedMiB: 0 };
  let timer: NodeJS.Timeout | undefined;
  const sample = () => {
    const m = process.memoryUsage();
    peak = { rssMiB: Math.max(peak.rssMiB, m.rss / MiB), heapUsedMiB: Math.max(peak.heapUsedMiB, m.heapUsed / MiB) };
  };
  process.on('message', (message: ToChild) => {
    if (message.type === 'sample-start') {
      peak = { rssMiB: 0, heapUsedMiB: 0 };
      sample();
      clearInterval(timer);
      timer = setInterval(sample, 200);
    } else if (message.type === 'sample-stop') {
      clearInterval(timer);
      sample();
      process.send!({ type: 'memory', peak } satisfies FromChild);
    } else if (message.type === 'stop') {
      clearInterval(timer);
      void stop().then(
        () => process.send!({ type: 'stopped' } satisfies FromChild, () => process.exit(0)),
        (error: unknown) => {
          process.stderr.write(`stop failed: ${String(error)}\n`);
          process.exit(1);
        },
      );
    }
  });
  process.send!({ type: 'ready', url } satisfies FromChild);
}

export interface ServerChild {
  url: string;
  pid: number;
  /** Starts sampling the child's memory every 200 ms. */
  sampleStart(): void;
  /** Stops sampling and answers the peak since sampleStart. */
  sampleStop(): Promise<MemoryPeak>;
  stop(): Promise<void>;
}

/** Forks a bench server script (run through tsx like the parent) and waits until it listens. */
export async function startChild(
  script: string,
  env: NodeJS.ProcessEnv,
  options: { execArgv?: string[]; timeoutMs?: number } = {},
): Promise<ServerChild> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const child: ChildProcess = fork(script, [], {
    env,
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    execArgv: [...process.execArgv, ...(options.execArgv ?? [])],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not start within ${timeoutMs} ms:\n${stderr}`));
    }, timeoutMs);
    child.on('message', (message: FromChild) => {
      if (message.type === 'ready') {
        clearTimeout(timer);
        resolve(message.url);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code} before listening:\n${stderr}`));
    });
  });
  const next = <T extends FromChild['type']>(type: T) =>
    new Promise<Extract<FromChild, { type: T }>>((resolve, reject) => {
      const onMessage = (message: FromChild) => {
        if (message.type === type) {
          child.off('message', onMessage);
          resolve(message as Extract<FromChild, { type: T }>);
        }
      };
      child.on('message', onMessage);
      void exited.then((code) => reject(new Error(`${script} exited with ${code}:\n${stderr}`)));
    });
  const send = (message: ToChild) => child.send(message);
  return {
    url,
    pid: child.pid!,
    sampleStart: () => send({ type: 'sample-start' }),
    async sampleStop() {
      const answer = next('memory');
      send({ type: 'sample-stop' });
      return (await answer).peak;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      send({ type: 'stop' });
      await exited;
      clearTimeout(timer);
    },
  };
}
