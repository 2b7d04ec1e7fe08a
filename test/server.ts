import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import type { Config } from '../src/config.js';
import { buildServer } from '../src/server.js';
import { useTestDatabase, type TestDatabase } from './db.js';
import { testConfig } from './factories.js';

export interface TestServer extends TestDatabase {
  app: FastifyInstance;
  config: Config;
}

/** This file's own database plus an HTTP server on it, driven with app.inject. */
export function useTestServer(env: Record<string, string> = {}): TestServer {
  const database = useTestDatabase();
  const current = database as TestServer;
  beforeAll(async () => {
    current.config = testConfig(env);
    current.app = await buildServer({
      config: current.config,
      database: database.handle,
      keyring: database.keyring,
      logger: false,
    });
    await current.app.ready();
  });
  afterAll(async () => {
    await current.app?.close();
  });
  return current;
}
