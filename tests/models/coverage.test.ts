import { describe, expect, it } from 'vitest';
import { createMachine } from 'xstate';
import { Coverage, DEVICE, DevEv, DevSt, HWPT, HwptEv, HwptSt, compileMachine, deviceMachine, step } from '../../models/index.js';

function drive(c: Coverage, events: number[]): void {
  let s = c.machine.initial;
  c.visit(s);
  for (const e of events) {
    const t = step(c.machine, s, e);
    if (t < 0) throw new Error(`refused ${c.machine.events[e]} in ${c.machine.states[s]}`);
    c.take(s, e, t);
    s = t;
  }
}

describe('Coverage', () => {
  it('starts empty with everything missed', () => {
    const c = new Coverage(DEVICE);
    expect(c.stateHits.length).toBe(DEVICE.states.length);
    expect(c.transitionHits.length).toBe(DEVICE.states.length * DEVICE.events.length);
    const sum = c.summary();
    expect(sum.machine).toBe('device');
    expect(sum.states).toEqual({ hit: 0, total: 3, missed: ['unbound', 'bound', 'attached'] });
    expect(sum.transitions.hit).toBe(0);
    expect(sum.transitions.total).toBe(5);
    expect(sum.transitions.missed.sort()).toEqual(
      [
        'unbound --BIND--> bound',
        'bound --ATTACH--> attached',
        'bound --UNBIND--> unbound',
        'attached --REPLACE--> attached',
        'attached --DETACH--> bound',
      ].sort(),
    );
  });

  it('counts visits and transitions, and take() counts the arrival state', () => {
    const c = new Coverage(DEVICE);
    drive(c, [DevEv.BIND, DevEv.ATTACH, DevEv.REPLACE, DevEv.REPLACE]);
    expect(c.stateHits[DevSt.unbound]).toBe(1);
    expect(c.stateHits[DevSt.bound]).toBe(1);
    expect(c.stateHits[DevSt.attached]).toBe(3);
    const E = DEVICE.events.length;
    expect(c.transitionHits[DevSt.attached * E + DevEv.REPLACE]).toBe(2);
    expect(c.transitionHits[DevSt.unbound * E + DevEv.BIND]).toBe(1);
    expect(c.transitionHits[DevSt.bound * E + DevEv.UNBIND]).toBe(0);

    const sum = c.summary();
    expect(sum.states).toEqual({ hit: 3, total: 3, missed: [] });
    expect(sum.transitions.hit).toBe(3);
    expect(sum.transitions.missed.sort()).toEqual(['attached --DETACH--> bound', 'bound --UNBIND--> unbound']);
  });

  it('reaches full coverage on a complete device run', () => {
    const c = new Coverage(DEVICE);
    drive(c, [DevEv.BIND, DevEv.ATTACH, DevEv.REPLACE, DevEv.DETACH, DevEv.UNBIND]);
    expect(c.summary().transitions).toEqual({ hit: 5, total: 5, missed: [] });
  });

  it('counts hwpt totals over reachable table entries', () => {
    const c = new Coverage(HWPT);
    drive(c, [HwptEv.ATTACH, HwptEv.FINALIZE, HwptEv.LOOKUP, HwptEv.DETACH, HwptEv.REMOVE, HwptEv.FREE]);
    const sum = c.summary();
    expect(sum.states).toEqual({ hit: 4, total: 5, missed: ['aborted'] });
    expect(sum.transitions.total).toBe(9);
    expect(sum.transitions.hit).toBe(6);
    expect(sum.transitions.missed.sort()).toEqual(
      ['reserved --ABORT--> aborted', 'reserved --DETACH--> reserved', 'live --ATTACH--> live'].sort(),
    );
    expect(c.stateHits[HwptSt.freed]).toBe(1);
  });

  it('rejects refused, mismatched and out-of-range transitions', () => {
    const c = new Coverage(DEVICE);
    expect(() => c.take(DevSt.bound, DevEv.REPLACE, DevSt.attached)).toThrow(/refused/);
    expect(() => c.take(DevSt.unbound, DevEv.BIND, DevSt.attached)).toThrow(/not a transition/);
    expect(() => c.take(99, DevEv.BIND, DevSt.bound)).toThrow(RangeError);
    expect(() => c.take(DevSt.unbound, 99, DevSt.bound)).toThrow(RangeError);
    expect(() => c.visit(-1)).toThrow(RangeError);
    expect(() => c.visit(DEVICE.states.length)).toThrow(RangeError);
    expect(c.transitionHits.every((x) => x === 0)).toBe(true);
    expect(c.stateHits.every((x) => x === 0)).toBe(true);
  });

  it('merges counts from another Coverage of the same machine', () => {
    const a = new Coverage(DEVICE);
    const b = new Coverage(DEVICE);
    drive(a, [DevEv.BIND, DevEv.ATTACH]);
    drive(b, [DevEv.BIND, DevEv.ATTACH, DevEv.DETACH, DevEv.UNBIND]);
    a.merge(b);
    const E = DEVICE.events.length;
    expect(a.transitionHits[DevSt.unbound * E + DevEv.BIND]).toBe(2);
    expect(a.transitionHits[DevSt.bound * E + DevEv.UNBIND]).toBe(1);
    expect(a.stateHits[DevSt.unbound]).toBe(3);
    expect(a.summary().transitions.missed).toEqual(['attached --REPLACE--> attached']);
    // The source is left alone.
    expect(b.transitionHits[DevSt.unbound * E + DevEv.BIND]).toBe(1);
  });

  it('merges a separately compiled but identical machine and refuses a different one', () => {
    const a = new Coverage(DEVICE);
    a.merge(new Coverage(compileMachine(deviceMachine, DEVICE.events)));
    expect(() => a.merge(new Coverage(HWPT))).toThrow(/cannot merge/);
    const reordered = compileMachine(deviceMachine, [...DEVICE.events].reverse());
    expect(() => a.merge(new Coverage(reordered))).toThrow(/cannot merge/);
  });

  it('saturates instead of wrapping', () => {
    const a = new Coverage(DEVICE);
    const b = new Coverage(DEVICE);
    a.stateHits[DevSt.bound] = 0xffffffff;
    b.stateHits[DevSt.bound] = 5;
    a.merge(b);
    expect(a.stateHits[DevSt.bound]).toBe(0xffffffff);
    a.take(DevSt.unbound, DevEv.BIND, DevSt.bound);
    expect(a.stateHits[DevSt.bound]).toBe(0xffffffff);
    a.visit(DevSt.bound);
    expect(a.stateHits[DevSt.bound]).toBe(0xffffffff);
  });

  it('leaves unreachable states out of totals', () => {
    const m = createMachine({
      id: 'm',
      initial: 'a',
      states: { a: { on: { GO: 'b' } }, b: {}, dead: { on: { GO: 'a' } } },
    });
    const sum = new Coverage(compileMachine(m, ['GO'])).summary();
    expect(sum.states).toEqual({ hit: 0, total: 2, missed: ['a', 'b'] });
    expect(sum.transitions).toEqual({ hit: 0, total: 1, missed: ['a --GO--> b'] });
  });
});
