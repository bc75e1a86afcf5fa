import { it } from 'vitest';
import { EThread, Runtime } from '../../schedulers/runtime.js';
import { RandomScheduler } from '../../schedulers/random.js';
import { PctScheduler } from '../../schedulers/pct.js';
import { deriveSeed } from '../../schedulers/prng.js';

type Body = (t: EThread) => Promise<void>;
function d2(rt: Runtime, P: number, W: number, B: number) {
  let x = 0, seen = -1;
  const pts = async (t: EThread, n: number) => { for (let i = 0; i < n; i++) await rt.point(t); };
  const bodies: Body[] = [
    async (t) => { await pts(t, P); x = 1; await pts(t, W); x = 0; },
    async (t) => { await pts(t, B); seen = x; },
  ];
  return { bodies, hit: () => seen === 1 };
}
function d3(rt: Runtime, P: number, W: number, B: number, G: number) {
  let x = 0, r1 = -1, r2 = -1;
  const pts = async (t: EThread, n: number) => { for (let i = 0; i < n; i++) await rt.point(t); };
  const bodies: Body[] = [
    async (t) => { await pts(t, P); x = 1; await pts(t, W); x = 2; },
    async (t) => { await pts(t, B); r1 = x; await pts(t, G); r2 = x; },
  ];
  return { bodies, hit: () => r1 === 1 && r2 === 2 };
}
async function count(sched: any, make: (rt: Runtime) => { bodies: Body[]; hit: () => boolean }, N: number) {
  const rt = new Runtime(sched, 10000);
  let c = 0, k = 0;
  for (let i = 0; i < N; i++) {
    rt.reset(); sched.reseed(deriveSeed(7, i));
    const p = make(rt); p.bodies.forEach((b, j) => rt.spawn('T' + j, b));
    const e = await rt.run(); k = e.steps;
    if (p.hit()) c++;
  }
  return { c, k };
}
it('tune', async () => {
  for (const [P, W, B] of [[3, 5, 30], [3, 5, 24], [1, 6, 24]]) {
    const k = P + W + 1 + B + 1;
    const r = await count(new RandomScheduler(0), (rt) => d2(rt, P, W, B), 500);
    const p = await count(new PctScheduler(0, 2, k), (rt) => d2(rt, P, W, B), 500);
    console.log('d2', P, W, B, 'k', r.k, k, 'random', r.c, 'pct', p.c, 'bound*500', 500 / (2 * k), 'exp', 500 * W / (2 * k));
  }
  for (const [P, W, B, G] of [[3, 6, 24, 5], [3, 10, 30, 9], [1, 8, 26, 7], [1, 10, 30, 10]]) {
    const k = P + W + 1 + B + G + 2;
    const r = await count(new RandomScheduler(0), (rt) => d3(rt, P, W, B, G), 500);
    const p = await count(new PctScheduler(0, 3, k), (rt) => d3(rt, P, W, B, G), 500);
    const p2 = await count(new PctScheduler(0, 2, k), (rt) => d3(rt, P, W, B, G), 500);
    const rr = await count(new RandomScheduler(0), (rt) => d3(rt, P, W, B, G), 20000);
    console.log('d3', P, W, B, G, 'k', r.k, k, 'random', r.c, 'random/20000', rr.c, 'pct3', p.c, 'pct2', p2.c, 'bound*500', 500 / (2 * k * k), 'exp', 500 * W * (G + 1) / (2 * k * (k - 1)));
  }
});
