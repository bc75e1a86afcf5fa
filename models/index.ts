import { compileMachine, type CompiledMachine } from './compile.js';
import { DEVICE_EVENTS, deviceMachine } from './device.machine.js';
import { HWPT_EVENTS, hwptMachine } from './hwpt.machine.js';

export { compileMachine, step, type CompiledMachine } from './compile.js';
export { Coverage, type CoverageSummary } from './coverage.js';
export { DEVICE_EVENTS, deviceMachine, type DeviceEvent } from './device.machine.js';
export { HWPT_EVENTS, hwptMachine, type HwptEvent } from './hwpt.machine.js';

export const DEVICE: CompiledMachine = compileMachine(deviceMachine, DEVICE_EVENTS);
export const HWPT: CompiledMachine = compileMachine(hwptMachine, HWPT_EVENTS);

// Literal numbers so hot-path code gets constant types; checked against the
// event arrays at load time so reordering an array cannot silently shift them.
export const DevEv = { BIND: 0, ATTACH: 1, REPLACE: 2, DETACH: 3, UNBIND: 4 } as const;
export const HwptEv = { FINALIZE: 0, ABORT: 1, LOOKUP: 2, ATTACH: 3, DETACH: 4, REMOVE: 5, FREE: 6 } as const;

function checkEvents(m: CompiledMachine, ev: Readonly<Record<string, number>>): void {
  const names = Object.keys(ev);
  if (names.length !== m.events.length || names.some((n) => m.events[ev[n]!] !== n)) {
    throw new Error(`event constants of '${m.id}' disagree with its event list ${JSON.stringify(m.events)}`);
  }
}
checkEvents(DEVICE, DevEv);
checkEvents(HWPT, HwptEv);

/** State numbers looked up by name, so they follow the machine definition. */
function stateIndex<const N extends readonly string[]>(m: CompiledMachine, names: N): { readonly [K in N[number]]: number } {
  if (names.length !== m.states.length) {
    throw new Error(`state constants of '${m.id}' list ${names.length} states, machine has ${m.states.length}`);
  }
  const out: Record<string, number> = {};
  for (const n of names) {
    const i = m.states.indexOf(n);
    if (i < 0) throw new Error(`machine '${m.id}' has no state '${n}'`);
    out[n] = i;
  }
  return Object.freeze(out) as { readonly [K in N[number]]: number };
}

export const DevSt = stateIndex(DEVICE, ['unbound', 'bound', 'attached']);
export const HwptSt = stateIndex(HWPT, ['reserved', 'live', 'destroying', 'freed', 'aborted']);
