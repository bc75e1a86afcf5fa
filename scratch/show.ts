import { stress } from '../runner/stress.js';
import { describeOp } from '../workload/types.js';
const profile = (process.argv[2] ?? 'fixed') as 'fixed' | 'v6.6';
const variants = (process.argv[3] ? process.argv[3].split(',') : []) as never[];
const seed = Number(process.argv[4] ?? 1);
const runs = Number(process.argv[5] ?? 20000);
const tail = Number(process.argv[6] ?? 80);
const r = await stress({ seed, runs, keepGoing: false, workloadEvery: 8, faults: true, profile, variants, maxSteps: 20000, atomicity: true });
const f = r.found[0];
if (!f) { console.log('none'); process.exit(0); }
console.log(f.violation.kind, f.violation.location, '\n' + f.violation.message);
console.log('topology', JSON.stringify(f.workload.topology));
console.log('faultDen', f.workload.faultDen);
f.workload.threads.forEach((ops, i) => console.log(`T${i}: ${ops.map(describeOp).join('; ')}`));
for (const e of f.trace.slice(-tail)) console.log(String(e.step).padStart(5), e.thread, e.text);
