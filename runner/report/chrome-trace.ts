// The shown run as Chrome trace-event JSON (object form) for Perfetto and chrome://tracing: one
// track per emulated thread with its operations and lock holds as slices, refcount changes,
// machine transitions, faults and kfree as instant events, each object's `users` as a counter,
// and the violation as a global instant. Time is logical: step s spans [1000 s, 1000 s + 1000)
// microseconds and the events of a step keep their trace order inside it, so the file is the
// same for the same document and every slice has a length.
import type { Violation } from '../../engine/violation.js';
import { SCHEMA_VERSION, TOOL_NAME, toolVersion } from '../doc.js';
import { violationHeader } from '../report.js';
import type { ChromeTrace, ChromeTraceEvent } from './schema.js';
import type { Interval, Timeline } from './timeline.js';

export const US_PER_STEP = 1000;
const PID = 1;

/** Timestamps of each trace position: step * 1000 + its rank among the step's events. */
function stamps(t: Timeline): number[] {
  const out: number[] = [];
  let step = -1;
  let rank = 0;
  for (const e of t.events) {
    rank = e.step === step ? rank + 1 : 0;
    step = e.step;
    out.push(e.step * US_PER_STEP + Math.min(rank, US_PER_STEP - 2));
  }
  return out;
}

export function chromeTrace(t: Timeline, v: Violation, document: string): ChromeTrace {
  const ts = stamps(t);
  // The violation fires after the failing step's last event; open intervals end there.
  let failTs = t.failStep * US_PER_STEP;
  for (let i = 0; i < t.events.length; i++) if (t.events[i]!.step === t.failStep) failTs = ts[i]! + 1;
  failTs = Math.max(failTs, ts.length ? ts[ts.length - 1]! + 1 : 0);
  const tid = (lane: number) => lane + 1;
  const span = (x: Interval) => {
    const start = ts[x.startIndex]!;
    const end = x.endIndex === null ? failTs : ts[x.endIndex]!;
    return { ts: start, dur: Math.max(end - start, 0) };
  };
  const ev: ChromeTraceEvent[] = [
    { ph: 'M', name: 'process_name', pid: PID, tid: 0, args: { name: `${document}: ${violationHeader(v)}` } },
  ];
  for (const l of t.lanes) {
    ev.push({ ph: 'M', name: 'thread_name', pid: PID, tid: tid(l.index), args: { name: l.failing ? `${l.name} (failing)` : l.name } });
    ev.push({ ph: 'M', name: 'thread_sort_index', pid: PID, tid: tid(l.index), args: { sort_index: l.index } });
  }
  for (const o of t.ops) {
    ev.push({
      ph: 'X',
      name: o.op,
      cat: 'op',
      ...span(o),
      pid: PID,
      tid: tid(o.lane),
      args: { result: o.result ?? 'unfinished', steps: `${o.start}-${o.end}` },
    });
  }
  let asyncId = 0;
  for (const h of t.locks) {
    const s = span(h);
    const a = { lock: h.lock, mode: h.mode, trylock: h.trylock, steps: `${h.start}-${h.end}`, released: h.endIndex !== null };
    if (h.nested) ev.push({ ph: 'X', name: h.lock, cat: 'lock', ...s, pid: PID, tid: tid(h.lane), args: a });
    else {
      // Released out of LIFO order: as a slice it would cross its neighbours, which the viewers
      // mis-nest, so it goes on an async track of its own.
      const id = `lock-${++asyncId}`;
      ev.push({ ph: 'b', name: h.lock, cat: 'lock', id, ts: s.ts, pid: PID, tid: tid(h.lane), args: a });
      ev.push({ ph: 'e', name: h.lock, cat: 'lock', id, ts: s.ts + s.dur, pid: PID, tid: tid(h.lane), args: {} });
    }
  }
  for (const m of t.marks) {
    ev.push({ ph: 'i', name: m.text, cat: m.kind, s: 't', ts: ts[m.index]!, pid: PID, tid: tid(m.lane), args: { step: m.step } });
    const n = t.events[m.index]!.note;
    if (n.kind === 'refcount') ev.push({ ph: 'C', name: `${n.object}.users`, ts: ts[m.index]!, pid: PID, tid: tid(m.lane), args: { users: n.to } });
  }
  ev.push({
    ph: 'i',
    name: violationHeader(v),
    cat: 'violation',
    s: 'g',
    ts: failTs,
    pid: PID,
    tid: tid(t.failLane),
    args: { step: v.step, thread: v.threadName, message: v.message },
  });
  return {
    traceEvents: ev,
    displayTimeUnit: 'ms',
    otherData: {
      schemaVersion: SCHEMA_VERSION,
      tool: { name: TOOL_NAME, version: toolVersion() },
      document,
      violation: violationHeader(v),
      timeUnit: `1 ms = 1 logical step (${US_PER_STEP} us per step)`,
    },
  };
}
