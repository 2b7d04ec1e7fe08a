import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// The whole suite runs on PGlite, and again on a PostgreSQL server when
// CUSTODIA_TEST_DATABASE_URL is set (CI sets it). Each project migrates one
// template database in its global setup; every test file gets a copy.
const serverUrl = process.env.CUSTODIA_TEST_DATABASE_URL;

const project = (kind: 'pglite' | 'postgres') => ({
  extends: true as const,
  test: {
    name: kind,
    env: { CUSTODIA_TEST_DB_KIND: kind },
    globalSetup: [`test/global-setup.${kind}.ts`],
  },
});

// The web app's logic (web/src): pure functions, no database, so no global setup. It runs
// with or without CUSTODIA_TEST_DATABASE_URL; `--project web` runs it alone.
const web = {
  test: {
    name: 'web',
    include: ['web/src/**/*.test.{ts,tsx}'],
    environment: 'node',
  },
};

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores: a single one on
    // the 2-core CI machine, idle whenever its file waits for PostgreSQL, a
    // child process or the disk. Two files at a time keep both cores busy.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: serverUrl ? [project('pglite'), project('postgres'), web] : [project('pglite'), web],
  },
});
