// npm run bench: what the tester costs and what it buys, in one process. Benchmarks report; they
// never fail the build. Sections, one file each:
//
//   throughput.ts  the full model next to the bare scheduling runtime (steps/s, schedules/s)
//   detection.ts   schedules to first detection per injected bug and stress strategy
//   peer.ts        the same detections with fast-check's fc.scheduler() taking the decisions
//                  (fc-adapter.ts says how), side by side with ours
//   explore.ts     the exhaustive explorer on docs/workloads/*.json, per reduction
//   memory.ts      heap used along a long stress campaign whose runs deadlock
//   workers.ts     the CLI's stress campaign on 1, 2, ... pool workers (schedules/s, speed-up)
//
// `npm run bench` is the quick mode (a few minutes on 2 cores); `npm run bench -- --full` runs the
// whole matrix. Both write bench/results.json; quick mode also puts its printed tables in
// bench/README.md, between the markers. `--only a,b` runs some sections (throughput, detection,
// peer, explore, memory, workers) and writes bench/results.partial.json instead, and no README.
import { writeFileSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { execFileSync } from 'node:child_process';
import { VARIANT_NAMES } from '../engine/variants.js';
import { throughput, type ThroughputResult } from './throughput.js';
import { DETECTION_BUDGET, DETECTION_CONFIG, detectionTable, type DetectionRow } from './detection.js';
import { PEER_VARIANTS, peerRows, printSideBySide, type PeerRow } from './peer.js';
import { EXPLORE_CONFIG, exploreTable, type ExploreRow } from './explore.js';
import { memoryConfig, memoryTable, type MemoryRow } from './memory.js';
import { WORKERS_CONFIG, workersTable, type WorkersRow } from './workers.js';
import { int, round, seconds, seedRange } from './util.js';

const args = process.argv.slice(2);
const full = args.includes('--full');
const onlyArg = args.indexOf('--only');
const only = onlyArg >= 0 ? new Set((args[onlyArg + 1] ?? '').split(',')) : null;
const on = (s: string) => only === null || only.has(s);
const SECTIONS = ['throughput', 'detection', 'peer', 'explore', 'memory', 'workers'];
for (const s of only ?? []) {
  if (!SECTIONS.includes(s)) {
    console.error(`bench: unknown section '${s}' in --only (sections: ${SECTIONS.join(', ')})`);
    process.exit(2);
  }
}

const SCHEDULES = full ? 100_000 : 20_000;
const REPS = full ? 5 : 3;
const SEED = 1;
const SEEDS = seedRange(20);

function machine(): { node: string; cpu: string; cores: number; nproc: number } {
  let cpu = cpus()[0]?.model ?? 'unknown cpu';
  try {
    const m = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpu = m[1]!.trim();
  } catch {
    // not Linux: keep os.cpus()
  }
  let nproc = cpus().length;
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) || nproc;
  } catch {
    // no nproc: keep os.cpus()
  }
  return { node: process.version, cpu, cores: cpus().length, nproc };
}

const BEGIN = '<!-- latest quick run: npm run bench writes from here -->';
const END = '<!-- latest quick run: to here -->';

/** Quick mode, every section: the printed tables replace the latest run in bench/README.md. */
function updateReadme(printed: string[]): void {
  const path = 'bench/README.md';
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return;
  }
  const a = text.indexOf(BEGIN);
  const b = text.indexOf(END);
  if (a < 0 || b < a) {
    console.log(`(${path} has no markers for the latest run: not updated)`);
    return;
  }
  writeFileSync(path, `${text.slice(0, a + BEGIN.length)}\n\n${printed.join('\n').trim()}\n\n${text.slice(b)}`);
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const printed: string[] = [];
  const log = console.log.bind(console);
  console.log = (...a: unknown[]) => {
    printed.push(a.map(String).join(' '));
    log(...a);
  };
  const m = machine();
  const mode = full ? 'full' : 'quick';
  const loadBefore = loadavg().map((x) => round(x, 2));
  console.log(`machine: node ${m.node}, nproc ${m.nproc}, ${m.cpu}; every figure below runs on 1 worker (this process) but the worker-pool table's.`);
  console.log(`load average (1, 5, 15 min) at the start: ${loadBefore.join(', ')}${loadBefore[0]! > 0.5 ? ': a loaded machine (other processes running), wall times and rates are noisy' : ': a quiet machine'}.`);
  console.log('');
  const timings: Record<string, number> = {};
  const timed = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    const s = performance.now();
    const r = await f();
    timings[name] = round(seconds(s), 1);
    return r;
  };

  let tp: ThroughputResult | null = null;
  if (on('throughput')) {
    const header = `Throughput: ${int(SCHEDULES)} schedules of seed ${SEED} (generated workloads, a new one every 8 schedules), each figure the median of ${REPS} repetitions taken in turn with the others, 1 worker.`;
    tp = await timed('throughput', () => throughput(SCHEDULES, REPS, SEED, header));
  }
  let detection: DetectionRow[] | null = null;
  // dfs is the slowest strategy (a miss runs the whole budget): quick mode runs it on the peer's variants only.
  const dfsFor = full ? VARIANT_NAMES : PEER_VARIANTS;
  if (on('detection') || on('peer')) detection = await timed('detection', () => detectionTable(on('detection') ? VARIANT_NAMES : PEER_VARIANTS, SEEDS, dfsFor));
  let peer: PeerRow[] | null = null;
  if (on('peer')) {
    peer = await timed('peer', () => peerRows(PEER_VARIANTS, SEEDS));
    printSideBySide(detection!, peer, SEEDS);
  }
  let explore: ExploreRow[] | null = null;
  if (on('explore')) explore = await timed('explore', () => exploreTable(full));
  let memory: MemoryRow[] | null = null;
  if (on('memory')) memory = await timed('memory', () => memoryTable(full));
  let workers: WorkersRow[] | null = null;
  if (on('workers')) workers = await timed('workers', async () => workersTable(full));

  const total = round(seconds(t0), 1);
  const loadAfter = loadavg().map((x) => round(x, 2));
  console.log('');
  console.log(`bench ${mode} done in ${total} s (${Object.entries(timings).map(([k, v]) => `${k} ${v} s`).join(', ')}); load average at the end: ${loadAfter.join(', ')}.`);
  const out = {
    mode,
    node: m.node,
    cpu: m.cpu,
    cores: m.cores,
    nproc: m.nproc,
    workers: 1,
    date: new Date().toISOString(),
    loadAverage: { start: loadBefore, end: loadAfter },
    schedules: SCHEDULES,
    seed: SEED,
    results: tp?.results ?? null,
    modelOverBare: tp?.modelOverBare ?? null,
    modelOverBareSpread: tp?.modelOverBareSpread ?? null,
    detectionConfig: detection ? DETECTION_CONFIG : null,
    detectionSeeds: detection ? SEEDS : null,
    detectionBudget: DETECTION_BUDGET,
    dfsQuickVariants: full ? null : dfsFor,
    detection,
    peer,
    exploreConfig: explore ? EXPLORE_CONFIG : null,
    explore,
    memoryConfig: memory ? memoryConfig() : null,
    memory,
    workersConfig: workers ? WORKERS_CONFIG : null,
    workersRows: workers,
    seconds: { total, ...timings },
  };
  writeFileSync(only === null ? 'bench/results.json' : 'bench/results.partial.json', JSON.stringify(out, null, 2) + '\n');
  console.log = log;
  if (!full && only === null) updateReadme(printed);
}

await main();
