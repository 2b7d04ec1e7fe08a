import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { migrateToLatest, openPglite } from '../src/db/database.js';

// A fresh PGlite takes seconds to initialize; loading a dumped, migrated one
// takes well under one. Every test file starts from this dump.
export default async function setup(project: TestProject) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'custodia-template-'));
  const file = path.join(dir, 'template.tar.gz');
  const handle = await openPglite({});
  await migrateToLatest(handle.db);
  const dump = await handle.dumpDataDir!();
  await writeFile(file, Buffer.from(await dump.arrayBuffer()));
  await handle.close();
  project.provide('pgliteTemplatePath', file);
  return async () => {
    await rm(dir, { recursive: true, force: true });
  };
}
