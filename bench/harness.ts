/**
 * A small benchmark harness: warm up, then time batches and report the
 * median and 95th percentile per operation. Every benchmark compares against
 * a baseline measured in the same run, so the figures survive a busy machine.
 */

export interface Measurement {
  name: string;
  medianUs: number;
  p95Us: number;
  opsPerSecond: number;
}

export function measure(name: string, operation: () => unknown, options: { batch?: number; batches?: number } = {}): Measurement {
  const batch = options.batch ?? 200;
  const batches = options.batches ?? 40;
  for (let i = 0; i < batch * 5; i++) operation(); // warm-up: JIT and caches
  const perOp: number[] = [];
  for (let b = 0; b < batches; b++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) operation();
    perOp.push(Number(process.hrtime.bigint() - start) / 1000 / batch);
  }
  perOp.sort((a, c) => a - c);
  const median = perOp[Math.floor(perOp.length / 2)]!;
  const p95 = perOp[Math.floor(perOp.length * 0.95)]!;
  return { name, medianUs: median, p95Us: p95, opsPerSecond: 1_000_000 / median };
}

export function table(rows: Measurement[], baseline: Measurement): string {
  const lines = ['| operation | median µs | p95 µs | ops/s | × baseline |', '|---|---:|---:|---:|---:|'];
  for (const r of rows) {
    lines.push(
      `| ${r.name} | ${r.medianUs.toFixed(2)} | ${r.p95Us.toFixed(2)} | ${Math.round(r.opsPerSecond).toLocaleString('en')} | ${(r.medianUs / baseline.medianUs).toFixed(1)} |`,
    );
  }
  return lines.join('\n');
}
