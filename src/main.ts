import { startApp, type RunningApp } from './app.js';
import { ConfigError, loadConfig, loadDotEnv, type Config } from './config.js';
import { DataDirBusyError } from './db/data-dir-lock.js';
import { KeyError } from './keys/keys.errors.js';

// start: config → database (lock, migrations) → http → admin socket

function fail(message: string, code: number): never {
  process.stderr.write(`custodia: ${message}\n`);
  process.exit(code);
}

let config: Config;
try {
  loadDotEnv();
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) fail(`invalid configuration: ${error.message}`, 2);
  throw error;
}

// Signals are handled from the first moment: one that arrives while starting
// waits for the start to finish (or fail) and then stops cleanly.
let stopping = false;
let starting: Promise<RunningApp | undefined> = Promise.resolve(undefined);

async function shutdown(signal: string): Promise<void> {
  if (stopping) {
    process.stderr.write(`custodia: ${signal} again, exiting without waiting\n`);
    process.exit(1);
  }
  stopping = true;
  const running = await starting;
  if (!running) process.exit(0);
  running.app.log.info({ signal }, 'shutting down');
  // In-flight requests get shutdownTimeoutMs; then the process goes anyway.
  const timer = setTimeout(() => {
    running.app.log.error('shutdown timed out; exiting');
    process.exit(1);
  }, config.shutdownTimeoutMs);
  timer.unref();
  try {
    await running.stop();
    process.exit(0);
  } catch (error) {
    running.app.log.error({ err: error }, 'shutdown failed');
    process.exit(1);
  }
}

process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

starting = startApp(config).catch((error: unknown) => {
  if (error instanceof DataDirBusyError) fail(`cannot start: ${error.message}`, 3);
  if (error instanceof KeyError && error.code === 'master_key_mismatch') fail(`refusing to start: ${error.message}`, 2);
  const e = error as NodeJS.ErrnoException;
  if (e.code === 'EADDRINUSE') fail(`cannot start: ${config.host}:${config.port} is already in use (set PORT)`, 3);
  if (e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND') fail(`cannot start: the database does not answer (${e.code})`, 3);
  fail(`cannot start: ${e.message}`, 1);
});
await starting;
