import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run as personCrypto } from './person-crypto.bench.js';

// `npm run bench`: runs every benchmark and writes bench/RESULTS.md.
const results = [personCrypto()];
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const page = results[0]!.rows.at(-1)!;
const text = `# Benchmark results

Written by \`npm run bench\` on ${new Date().toISOString()}: Node.js ${process.version}, ${cpu}, ${os.cpus().length} cores.
Each figure is the median (and 95th percentile) time per operation over repeated
batches after a warm-up; "× baseline" compares with the baseline measured in the same run.

${results.map((r) => `## ${r.title}\n\n${r.markdown}\n`).join('\n')}
Decrypting a 50-person list page costs ${(page.medianUs / 1000).toFixed(2)} ms of CPU on this machine
(key unwrapping is cached separately and not included).
`;
const out = path.join(path.dirname(fileURLToPath(import.meta.url)), 'RESULTS.md');
writeFileSync(out, text);
process.stdout.write(text);
