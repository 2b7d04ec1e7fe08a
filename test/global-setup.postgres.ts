import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrateToLatest, openPostgres } from '../src/db/database.js';

/** The URL of another database on the same server. */
export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

// One migrated template per run; each test file creates its own database
// from it WITH TEMPLATE, which is a file copy on the server.
export default async function setup(project: TestProject) {
  const serverUrl = process.env.CUSTODIA_TEST_DATABASE_URL;
  if (!serverUrl) throw new Error('CUSTODIA_TEST_DATABASE_URL is not set');
  const template = `custodia_tpl_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${template}`);
  } finally {
    await admin.end();
  }
  const handle = await openPostgres(databaseUrl(serverUrl, template), 2);
  await migrateToLatest(handle.db);
  await handle.close(); // a template must have no connections when copied
  project.provide('postgresTemplate', template);
  project.provide('postgresUrl', serverUrl);
  return async () => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(`drop database if exists ${template} with (force)`);
    } finally {
      await client.end();
    }
  };
}
