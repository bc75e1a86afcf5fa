import { stress } from '../runner/stress.js';
const profile = (process.argv[2] ?? 'fixed') as 'fixed' | 'v6.6';
const variants = (process.argv[3] ? process.argv[3].split(',') : []) as never[];
const runs = Number(process.argv[4] ?? 20000);
const seeds = (process.argv[5] ?? '1-10').split('-').map(Number);
const t0 = Date.now();
const idx: number[] = [];
for (let s = seeds[0]!; s <= seeds[1]!; s++) {
  const r = await stress({ seed: s, runs, keepGoing: false, workloadEvery: 8, faults: true, profile, variants, maxSteps: 20000, atomicity: true });
  const f = r.found[0];
  idx.push(f ? f.index : -1);
  console.log(`seed ${s}: ${f ? `#${f.index} ${f.violation.kind} ${f.violation.location}` : 'none'}`);
}
console.log(`found ${idx.filter((i) => i >= 0).length}/${idx.length}, max index ${Math.max(...idx)}, ${((Date.now() - t0) / 1000).toFixed(1)}s`);
