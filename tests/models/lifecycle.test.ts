import { describe, expect, it } from 'vitest';
import { DEVICE, DevEv, DevSt, HWPT, HwptEv, HwptSt, step, type CompiledMachine } from '../../models/index.js';

/** Every allowed transition; anything not listed must be refused. */
function expectExactly(m: CompiledMachine, allowed: [string, string, string][]): void {
  const want = new Map(allowed.map(([from, ev, to]) => [`${from}/${ev}`, to]));
  expect(want.size).toBe(allowed.length);
  for (let s = 0; s < m.states.length; s++) {
    for (let e = 0; e < m.events.length; e++) {
      const to = want.get(`${m.states[s]}/${m.events[e]}`);
      const got = step(m, s, e);
      expect({ from: m.states[s], ev: m.events[e], to: got < 0 ? null : m.states[got] }).toEqual({
        from: m.states[s],
        ev: m.events[e],
        to: to ?? null,
      });
    }
  }
}

function run(m: CompiledMachine, start: number, events: number[]): number {
  let s = start;
  for (const e of events) {
    s = step(m, s, e);
    if (s < 0) return -1;
  }
  return s;
}

describe('device lifecycle', () => {
  it('allows exactly the documented transitions', () => {
    expectExactly(DEVICE, [
      ['unbound', 'BIND', 'bound'],
      ['bound', 'ATTACH', 'attached'],
      ['attached', 'REPLACE', 'attached'],
      ['attached', 'DETACH', 'bound'],
      ['bound', 'UNBIND', 'unbound'],
    ]);
  });

  it('refuses REPLACE on a device that is only bound (Z4)', () => {
    expect(step(DEVICE, DevSt.bound, DevEv.REPLACE)).toBe(-1);
  });

  it('refuses UNBIND while attached', () => {
    expect(step(DEVICE, DevSt.attached, DevEv.UNBIND)).toBe(-1);
  });

  it('refuses a second ATTACH', () => {
    expect(step(DEVICE, DevSt.attached, DevEv.ATTACH)).toBe(-1);
  });

  it('refuses everything but BIND before bind', () => {
    for (const e of [DevEv.ATTACH, DevEv.REPLACE, DevEv.DETACH, DevEv.UNBIND]) {
      expect(step(DEVICE, DevSt.unbound, e)).toBe(-1);
    }
  });

  it('runs bind, attach, replace, replace, detach, unbind back to unbound, and can bind again', () => {
    const { BIND, ATTACH, REPLACE, DETACH, UNBIND } = DevEv;
    expect(run(DEVICE, DEVICE.initial, [BIND, ATTACH, REPLACE, REPLACE, DETACH, UNBIND])).toBe(DevSt.unbound);
    expect(run(DEVICE, DEVICE.initial, [BIND, ATTACH, DETACH, ATTACH, DETACH, UNBIND, BIND])).toBe(DevSt.bound);
    expect(run(DEVICE, DEVICE.initial, [BIND, ATTACH, UNBIND])).toBe(-1);
  });

  it('has no final state', () => {
    expect(DEVICE.final.some((f) => f)).toBe(false);
  });
});

describe('hwpt lifecycle', () => {
  it('allows exactly the documented transitions', () => {
    expectExactly(HWPT, [
      ['reserved', 'FINALIZE', 'live'],
      ['reserved', 'ABORT', 'aborted'],
      ['reserved', 'ATTACH', 'reserved'],
      ['reserved', 'DETACH', 'reserved'],
      ['live', 'LOOKUP', 'live'],
      ['live', 'ATTACH', 'live'],
      ['live', 'DETACH', 'live'],
      ['live', 'REMOVE', 'destroying'],
      ['destroying', 'FREE', 'freed'],
    ]);
  });

  it('refuses LOOKUP of a reserved object (Z2)', () => {
    expect(step(HWPT, HwptSt.reserved, HwptEv.LOOKUP)).toBe(-1);
  });

  it('refuses ATTACH to a HWPT being destroyed (Z5)', () => {
    expect(step(HWPT, HwptSt.destroying, HwptEv.ATTACH)).toBe(-1);
    expect(step(HWPT, HwptSt.destroying, HwptEv.LOOKUP)).toBe(-1);
  });

  it('refuses every event after freed or aborted (use after free)', () => {
    for (const st of [HwptSt.freed, HwptSt.aborted]) {
      for (let e = 0; e < HWPT.events.length; e++) expect(step(HWPT, st, e)).toBe(-1);
    }
  });

  it('marks exactly freed and aborted final', () => {
    expect(HWPT.states.filter((_, i) => HWPT.final[i])).toEqual(['freed', 'aborted']);
  });

  it('runs the immediate_attach path and the out_detach unwind', () => {
    const { FINALIZE, ABORT, LOOKUP, ATTACH, DETACH, REMOVE, FREE } = HwptEv;
    expect(run(HWPT, HWPT.initial, [ATTACH, FINALIZE, LOOKUP, DETACH, REMOVE, FREE])).toBe(HwptSt.freed);
    expect(run(HWPT, HWPT.initial, [ATTACH, DETACH, ABORT])).toBe(HwptSt.aborted);
    expect(run(HWPT, HWPT.initial, [FINALIZE, REMOVE, FREE, LOOKUP])).toBe(-1);
    expect(run(HWPT, HWPT.initial, [ABORT, FINALIZE])).toBe(-1);
  });
});
