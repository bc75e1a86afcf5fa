// The report's pure parts: the trace-note grammar, lane order, lock-graph cycles, Mermaid
// escaping, op-outcome counting, and the published schemas against their zod source.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { laneOrder } from '../../runner/report/timeline.js';
import { parseNote, parseTrace, opName, lockFamily } from '../../runner/report/notes.js';
import { foldTrace } from '../../runner/report/fold.js';
import { lockGraph } from '../../runner/report/lockgraph.js';
import { lockGraphDot } from '../../runner/report/dot.js';
import { mermaidText } from '../../runner/report/mermaid.js';
import { addOutcome, mergeOutcomes, opOutcomes, sortedOutcomes } from '../../runner/report/outcomes.js';
import { jsonSchemaText, SCHEMAS } from '../../runner/report/schema.js';
import type { DependencyEdge } from '../../engine/locks/lockdep.js';
import { ROOT } from './fixtures.js';

describe('trace notes', () => {
  it.each([
    ['>> mock_domain(pt=ioas0) -> m0', { kind: 'op-start', op: 'mock_domain(pt=ioas0) -> m0' }],
    ['<< destroy(ioas0) = EBUSY', { kind: 'op-end', op: 'destroy(ioas0)', result: 'EBUSY' }],
    ['<< mock_domain(pt=ioas0) -> m0 = ok', { kind: 'op-end', op: 'mock_domain(pt=ioas0) -> m0', result: 'ok' }],
    ['lock igroup#12->lock', { kind: 'acquire', lock: 'igroup#12->lock', verb: 'lock', mode: 'write', trylock: false }],
    ['down_read_trylock IOAS#2->destroy_rwsem', { kind: 'acquire', lock: 'IOAS#2->destroy_rwsem', verb: 'down_read_trylock', mode: 'read', trylock: true }],
    ['down_write_trylock IOAS#1->destroy_rwsem', { kind: 'acquire', lock: 'IOAS#1->destroy_rwsem', verb: 'down_write_trylock', mode: 'write', trylock: true }],
    ['down_write ioas#8->iopt.iova_rwsem', { kind: 'acquire', lock: 'ioas#8->iopt.iova_rwsem', verb: 'down_write', mode: 'write', trylock: false }],
    ['up_read HW_PAGETABLE#5->destroy_rwsem', { kind: 'release', lock: 'HW_PAGETABLE#5->destroy_rwsem', verb: 'up_read' }],
    ['unlock group#5->mutex', { kind: 'release', lock: 'group#5->mutex', verb: 'unlock' }],
    [
      'HW_PAGETABLE#5.users 1 -> 2 (iommufd_hw_pagetable_attach(DEVICE#4))',
      { kind: 'refcount', object: 'HW_PAGETABLE#5', from: 1, to: 2, why: 'iommufd_hw_pagetable_attach(DEVICE#4)' },
    ],
    ['[hwpt HW_PAGETABLE#5] live --ATTACH--> live', { kind: 'machine', machine: 'hwpt', instance: 'HW_PAGETABLE#5', from: 'live', event: 'ATTACH', to: 'live' }],
    ['[device dev0(g0.0)] unbound --BIND--> bound', { kind: 'machine', machine: 'device', instance: 'dev0(g0.0)', from: 'unbound', event: 'BIND', to: 'bound' }],
    ['alloc HW_PAGETABLE#9 (reserved)', { kind: 'alloc', object: 'HW_PAGETABLE#9' }],
    ['finalize IOAS#8', { kind: 'finalize', object: 'IOAS#8' }],
    ['remove DEVICE#2 from ctx->objects', { kind: 'remove', object: 'DEVICE#2' }],
    ['kfree igroup#5(group 2)', { kind: 'kfree', object: 'igroup#5(group 2)' }],
    ['FAULT domain_alloc -> ENOMEM', { kind: 'fault', point: 'domain_alloc', errno: 'ENOMEM' }],
    ['IOAS#8: reserved regions of mock5', { kind: 'other' }],
  ])('%s', (text, note) => {
    expect(parseNote(text)).toEqual(note);
  });

  it('names operations and lock families', () => {
    expect(opName('hwpt_alloc(dev=dev0.idev, pt=h1) -> h1')).toBe('hwpt_alloc');
    expect(opName('ioas_alloc -> ioas0')).toBe('ioas_alloc');
    expect(lockFamily('igroup#12->lock')).toBe('igroup->lock');
  });
});

describe('lanes', () => {
  it('puts setup first, then threads in number order, then the rest as they came', () => {
    expect(laneOrder(['T3', 'setup', 'T10', 'T2', 'teardown', 'T0', 'quiescence', 'T3'])).toEqual(['setup', 'T0', 'T2', 'T3', 'T10', 'teardown', 'quiescence']);
  });
});

describe('lock graph', () => {
  const edge = (from: string, to: string, step: number): DependencyEdge => ({ from, to, thread: 0, step, heldLock: `${from}#1`, acquiredLock: `${to}#1` });

  it('marks the edges of a cycle, not the others, and the reported edge', () => {
    const recorded = [edge('A', 'B', 1), edge('B', 'C', 2), edge('C', 'A', 3), edge('A', 'D', 4)];
    const g = lockGraph(recorded, [edge('B', 'C', 2), edge('C', 'A', 3)], []);
    expect(g.classes).toEqual(['A', 'B', 'C', 'D']);
    expect(g.edges.map((e) => `${e.from}${e.to}:${e.cycle ? 'c' : ''}${e.reported ? 'r' : ''}`)).toEqual(['AB:c', 'BC:c', 'CA:cr', 'AD:']);
    expect(g.cycles).toEqual([['A', 'B', 'C']]);
    const dot = lockGraphDot(g, 'test');
    expect(dot).toMatch(/"C" -> "A" \[.*color=red/);
    expect(dot).not.toMatch(/"A" -> "D" \[.*color=red/);
  });

  it('shows a recursive report as a red self-edge', () => {
    const g = lockGraph([edge('A', 'B', 1)], [edge('A', 'A', 5)], []);
    expect(g.edges.find((e) => e.from === 'A' && e.to === 'A')).toMatchObject({ cycle: true, reported: true });
    expect(g.cycles).toEqual([['A']]);
  });

  it('has no cycle in a DAG', () => {
    expect(lockGraph([edge('A', 'B', 1), edge('B', 'C', 2), edge('A', 'C', 3)], null, []).cycles).toEqual([]);
  });
});

describe('mermaid text', () => {
  it('turns what ends or marks up a message into entity codes', () => {
    expect(mermaidText('HW_PAGETABLE#5->destroy_rwsem; <b>')).toBe('HW_PAGETABLE#35;5-#gt;destroy_rwsem#59; #lt;b#gt;');
  });
});

describe('trace fold', () => {
  const trace = (rows: Array<[number, number, string]>) => parseTrace(rows.map(([step, thread, text]) => ({ step, thread, name: `T${thread}`, text })));

  it('keeps a reused id apart: the remover\'s notes go to the object it removed until its kfree', () => {
    // T0 unbinds DEVICE#1 and is preempted before kfree; T1 binds and gets id 1 again.
    const events = trace([
      [1, 0, 'alloc DEVICE#1 (reserved)'],
      [2, 0, 'DEVICE#1.users 1 -> 2 (bind)'],
      [3, 0, 'finalize DEVICE#1'],
      [4, 0, 'DEVICE#1.users 2 -> 1 (iommufd_object_remove extra_put)'],
      [4, 0, 'remove DEVICE#1 from ctx->objects'],
      [5, 1, 'alloc DEVICE#1 (reserved)'],
      [6, 1, 'DEVICE#1.users 1 -> 2 (bind)'],
      [7, 1, 'finalize DEVICE#1'],
      [8, 0, 'kfree DEVICE#1'],
      [9, 1, 'alloc HW_PAGETABLE#2 (reserved)'],
    ]);
    expect(foldTrace(events, 7).objects).toEqual([
      { label: 'DEVICE#1', users: 0, life: 'removed' },
      { label: 'DEVICE#1', users: 2, life: 'live' },
    ]);
    const end = foldTrace(events, 9);
    expect(end.objects).toEqual([
      { label: 'DEVICE#1', users: 0, life: 'freed' },
      { label: 'DEVICE#1', users: 2, life: 'live' },
      { label: 'HW_PAGETABLE#2', users: 1, life: 'reserved' },
    ]);
    expect(end.machines).toEqual([{ machine: 'hwpt', instance: 'HW_PAGETABLE#2', state: 'reserved' }]);
  });
});

describe('operation outcomes', () => {
  it('counts by operation name and result, merges and orders them', () => {
    const c = opOutcomes([
      { thread: 'T0', op: 'destroy(ioas0)', result: 'EBUSY' },
      { thread: 'T1', op: 'destroy(h0)', result: 'ok' },
      { thread: 'T1', op: 'ioas_alloc -> ioas0', result: 'ok' },
      { thread: 'T0', op: 'destroy(h1)', result: 'EBUSY' },
    ]);
    expect(c).toEqual({ destroy: { EBUSY: 2, ok: 1 }, ioas_alloc: { ok: 1 } });
    addOutcome(c, 'bind', 'skipped');
    mergeOutcomes(c, { destroy: { ENOENT: 3 } });
    expect(JSON.stringify(sortedOutcomes(c))).toBe('{"ioas_alloc":{"ok":1},"destroy":{"ok":1,"ENOENT":3,"EBUSY":2},"bind":{"skipped":1}}');
  });
});

describe('published schemas', () => {
  it.each(Object.keys(SCHEMAS))('schema/%s is what the zod definitions generate', (name) => {
    const committed = readFileSync(join(ROOT, 'schema', name), 'utf8');
    // To update: npx tsc -p tsconfig.json && node dist/runner/report/write-schemas.js
    expect(committed).toBe(jsonSchemaText(name as keyof typeof SCHEMAS));
  });
});
