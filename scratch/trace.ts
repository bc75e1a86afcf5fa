import { readFileSync } from 'node:fs';
import { Runner, DEFAULT_MAX_STEPS } from '../runner/run.js';
import { RandomScheduler } from '../schedulers/random.js';
import { deriveSeed } from '../schedulers/prng.js';
const [file, profile, fixesJson, filter] = process.argv.slice(2);
const wl = JSON.parse(readFileSync(file!, 'utf8'));
const runner = new Runner({ profile: profile as 'v6.6', variants: [], maxSteps: DEFAULT_MAX_STEPS, atomicity: true, fixes: JSON.parse(fixesJson ?? '{}') });
const sched = new RandomScheduler(0);
for (let i = 0; i < 5000; i++) {
  sched.reseed(deriveSeed(42, i));
  const r = await runner.run(wl, sched, false, false);
  if (r.violation) {
    sched.reseed(deriveSeed(42, i));
    const rr = await runner.run(wl, sched, true, true);
    console.log(`schedule ${i}: ${rr.violation!.kind} ${rr.violation!.location}\n${rr.violation!.message}`);
    const re = new RegExp(filter ?? '.');
    for (const e of rr.trace) if (re.test(e.text)) console.log(String(e.step).padStart(4), e.name.padEnd(9), e.text);
    break;
  }
}
