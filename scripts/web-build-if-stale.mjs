// Builds the web app (web/dist) when it is missing or older than its sources,
// so a fresh clone's `npm install && npm start` serves the app. Runs before
// `npm start` and the browser tests; a no-op (a few ms) when the build is current.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const web = path.join(root, 'web');
const SOURCES = ['src', 'public', 'index.html', 'vite.config.ts', 'package.json', 'tsconfig.json'];

function newestMtime(target) {
  let stat;
  try {
    stat = statSync(target);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs; // a deleted file changes its directory's mtime
  for (const entry of readdirSync(target)) newest = Math.max(newest, newestMtime(path.join(target, entry)));
  return newest;
}

const builtAt = newestMtime(path.join(web, 'dist', 'index.html'));
const changedAt = Math.max(...SOURCES.map((source) => newestMtime(path.join(web, source))));
if (builtAt === 0 || changedAt > builtAt) {
  process.stderr.write(
    builtAt === 0 ? 'custodia: building the web app (web/dist is missing)\n' : 'custodia: rebuilding the web app (its sources changed)\n',
  );
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['run', '-s', 'build', '-w', 'web'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) {
    process.stderr.write('custodia: the web app did not build (see above); run `npm run build:web` to retry\n');
    process.exit(result.status ?? 1);
  }
}
