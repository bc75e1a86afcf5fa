// Throughput on the worker pool: the same stress campaign (the CLI, as a user runs it) with 1, 2,
// ... workers. Results are identical whatever the count (tests/cli/workers.test.ts); only the wall
// time changes. Each figure is the summary's own schedules/s, pool start-up included.
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { int, median, round, table } from './util.js';

export interface WorkersRow {
  workers: number;
  schedules: number;
  seconds: number;
  schedulesPerSec: number;
  stepsPerSec: number;
  /** Schedules/s over the one-worker figure. */
  speedup: number;
}

export const WORKERS_CONFIG = 'stress --seed 1 --keep-going --quiet --json - (profile fixed, default strategy, tracing off, per-step checks on), a fresh process per figure';

function once(schedules: number, workers: number): { seconds: number; sps: number; steps: number } {
  const out = execFileSync(
    process.execPath,
    ['dist/cli/main.js', 'stress', '--seed', '1', '--runs', String(schedules), '--workers', String(workers), '--keep-going', '--quiet', '--json', '-', '--out', `bench/.workers-out`],
    { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, CI: '1' } },
  );
  const s = JSON.parse(out) as { elapsedSeconds: number; schedulesPerSecond: number; stepsPerSecond: number };
  return { seconds: s.elapsedSeconds, sps: s.schedulesPerSecond, steps: s.stepsPerSecond };
}

export function workersTable(full: boolean): WorkersRow[] {
  const schedules = full ? 500_000 : 200_000;
  const reps = full ? 3 : 1;
  const counts = [...new Set([1, 2, availableParallelism()])].sort((a, b) => a - b);
  const rows: WorkersRow[] = [];
  for (const w of counts) {
    const runs = Array.from({ length: reps }, () => once(schedules, w));
    const pick = runs.find((r) => r.sps === median(runs.map((x) => x.sps)))!;
    rows.push({ workers: w, schedules, seconds: pick.seconds, schedulesPerSec: pick.sps, stepsPerSec: pick.steps, speedup: 0 });
  }
  for (const r of rows) r.speedup = round(r.schedulesPerSec / rows[0]!.schedulesPerSec, 2);
  console.log(`Worker pool: ${int(schedules)} schedules of seed 1 per figure${reps > 1 ? `, median of ${reps}` : ''}; ${WORKERS_CONFIG}.`);
  console.log('');
  table(
    ['workers', 'schedules/s', 'steps/s', 'seconds', 'speed-up'],
    'rrrrr',
    rows.map((r) => [r.workers, int(r.schedulesPerSec), int(r.stepsPerSec), r.seconds, `${r.speedup}x`]),
  );
  console.log('');
  return rows;
}
