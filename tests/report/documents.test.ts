// Reports of real stress output: one campaign per kind of violation, then `report DIR` over
// them. Checks what the files say (against the replay and the schemas), that they are the same
// bytes every time, and that bad input is one UsageError line.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportCommand } from '../../cli/report.js';
import { UsageError } from '../../cli/errors.js';
import { validateDoc, DocError, type StressSummary, type ViolationDoc } from '../../runner/doc.js';
import { observe } from '../../runner/report/observe.js';
import { foldTrace } from '../../runner/report/fold.js';
import { buildTimeline } from '../../runner/report/timeline.js';
import { subjectOf } from '../../runner/report/subject.js';
import { renderViolationReports } from '../../runner/report/write.js';
import { chromeTraceSchema, stressSummarySchema, violationDocSchema, type ChromeTrace } from '../../runner/report/schema.js';
import { opOutcomes } from '../../runner/report/outcomes.js';
import { CLI, cleanup, stress, tempRoot, variantRun, VARIANTS, type StressOut } from './fixtures.js';
import { schemaErrors } from './validate.js';

const runs = new Map<string, StressOut>();
/**
 * Reused ids, where the fold and the replay each once described a different object than the
 * label names: the first DEVICE#5 freed before the second is allocated (seed 1), and the first
 * DEVICE#1 freed by its remover after the second was allocated (seed 11). As found, not
 * minimised: the minimiser tends to remove the reuse (fewer ops, fewer allocations).
 */
const REUSED: Record<string, [string, number]> = { 'reused-id-freed': ['replace-unattached', 1], 'reused-id-late-kfree': ['igroup-kref-get', 11] };
/** Every file stress wrote (before `report DIR` rewrote them), by path. */
const byStress = new Map<string, string>();
const silent = { write: process.stdout.write.bind(process.stdout) };

beforeAll(async () => {
  for (const v of Object.keys(VARIANTS) as Array<keyof typeof VARIANTS>) runs.set(v, variantRun(v));
  runs.set('as-found', variantRun('put-under-lock', ['--no-minimise']));
  runs.set('clean', stress('clean', [], 30));
  // dfs adds fields of its own (summary.dfs, options.dfsBudget) that the schemas must allow.
  runs.set('dfs', stress('dfs', ['--scheduler', 'dfs', '--variant', 'put-under-lock'], 100));
  // Runs whose shown trace allocates an id again while its first object is not yet freed (see REUSED).
  for (const [name, [variant, seed]] of Object.entries(REUSED)) runs.set(name, stress(name, ['--variant', variant, '--no-minimise'], 3000, seed));
  for (const r of runs.values()) {
    for (const f of readdirSync(r.dir)) if (f !== 'violations') byStress.set(join(r.dir, f), read(join(r.dir, f)));
    for (const f of readdirSync(join(r.dir, 'violations'))) byStress.set(join(r.dir, 'violations', f), read(join(r.dir, 'violations', f)));
  }
  // report DIR over each, quietly: the command prints one line per folder.
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    for (const r of runs.values()) expect(await reportCommand(r.dir)).toBe(0);
  } finally {
    process.stdout.write = silent.write;
  }
}, 180_000);

afterAll(cleanup);

function withDocs(): Array<[string, StressOut]> {
  return [...runs].filter(([, r]) => r.docs.length > 0);
}

function read(path: string): string {
  return readFileSync(path, 'utf8');
}

describe('fixtures', () => {
  it.each(Object.entries(VARIANTS))('%s ends in %s', (variant, kind) => {
    const r = runs.get(variant)!;
    expect(r.docs).toHaveLength(1);
    expect(subjectOf(r.docs[0]!.doc).violation.kind).toBe(kind);
  });

  it('the reused-id runs allocate an id twice (else they no longer test what they are for)', () => {
    for (const name of Object.keys(REUSED)) {
      const s = subjectOf(runs.get(name)!.docs[0]!.doc);
      const allocs = s.trace.map((e) => /^alloc (\S+)/.exec(e.text)?.[1]).filter((x) => x !== undefined);
      expect(new Set(allocs).size, name).toBeLessThan(allocs.length);
    }
  });

  it('the no-minimise document has no minimal run, the clean run no document', () => {
    expect(runs.get('as-found')!.docs[0]!.doc.minimal).toBeUndefined();
    expect(runs.get('clean')!.docs).toEqual([]);
  });
});

describe('what the reports derive', () => {
  it('the replay reproduces every document, and the trace fold agrees with the objects it saw', async () => {
    for (const [name, r] of withDocs()) {
      const doc = r.docs[0]!.doc;
      const s = subjectOf(doc);
      const obs = await observe(doc);
      expect(obs.outcome, name).toBe('reproduced');
      expect(obs.at!.objects.length, name).toBeGreaterThan(0);
      const t = buildTimeline(s.trace, s.violation);
      for (const [view, step] of [
        [obs.at!, s.violation.step],
        [obs.before!, s.violation.step - 1],
      ] as const) {
        const folded = new Map(foldTrace(t.events, step).objects.map((o) => [o.label, o]));
        const current = new Map(view.objects.map((o) => [o.label, o]));
        for (const o of current.values()) {
          const f = folded.get(o.label);
          expect(f, `${name}: ${o.label} at ${step}`).toBeDefined();
          expect({ label: o.label, life: f!.life, users: f!.users }, name).toEqual({ label: o.label, life: o.life, users: o.users });
        }
      }
    }
  });

  it('timelines: operations open and close per lane, holds nest or are marked, the failing lane exists', () => {
    for (const [name, r] of withDocs()) {
      const s = subjectOf(r.docs[0]!.doc);
      const t = buildTimeline(s.trace, s.violation);
      expect(t.lanes[t.failLane]!.name, name).toBe(s.violation.threadName);
      // A minimal workload may have no setup (dfs's does): then there is no setup lane to lead.
      const setup = s.trace.some((e) => e.name === 'setup');
      expect(t.lanes[0]!.name === 'setup', name).toBe(setup);
      for (const l of t.lanes) {
        const ops = t.ops.filter((o) => o.lane === l.index);
        // Only the last operation of a lane may be unfinished (the run stopped in it).
        expect(ops.slice(0, -1).every((o) => o.result !== null), `${name} ${l.name}`).toBe(true);
        ops.forEach((o, i) => i > 0 && expect(o.startIndex, name).toBeGreaterThan(ops[i - 1]!.endIndex!));
      }
      for (const h of t.locks) expect(h.end, name).toBeGreaterThanOrEqual(h.start);
      const completed = s.ops.length;
      expect(t.ops.filter((o) => o.result !== null)).toHaveLength(completed);
    }
  });

  it('rendering the same document twice gives the same bytes', async () => {
    for (const [name, r] of withDocs()) {
      const { n, doc } = r.docs[0]!;
      const a = await renderViolationReports(doc, n);
      const b = await renderViolationReports(JSON.parse(JSON.stringify(doc)) as ViolationDoc, n);
      expect([...a.keys()], name).toEqual([`${n}.html`, `${n}.trace.json`, `${n}.mmd`, `${n}.dot`]);
      for (const [f, text] of a) expect(b.get(f), `${name} ${f}`).toBe(text);
    }
  });
});

describe('report DIR', () => {
  it('stress wrote the companions beside each document and an index, and no temporary file', () => {
    for (const [name, r] of runs) {
      expect(byStress.has(join(r.dir, 'index.html')), name).toBe(true);
      const files = [...byStress.keys()].filter((p) => p.startsWith(join(r.dir, 'violations') + '/')).map((p) => p.slice(join(r.dir, 'violations').length + 1));
      const expected = r.docs.flatMap(({ n }) => [`${n}.dot`, `${n}.html`, `${n}.json`, `${n}.mmd`, `${n}.trace.json`, `${n}.txt`]).sort();
      expect(files.sort(), name).toEqual(expected);
      expect(readdirSync(join(r.dir, 'violations')).sort(), name).toEqual(expected);
      expect(readdirSync(r.dir).filter((f) => f.endsWith('.tmp')), name).toEqual([]);
    }
  });

  it('rebuilds the same bytes stress wrote', () => {
    for (const [path, text] of byStress) expect(read(path), path).toBe(text);
  });

  it('writes the same bytes again', async () => {
    const r = runs.get('put-under-lock')!;
    const paths = [join(r.dir, 'index.html'), ...readdirSync(join(r.dir, 'violations')).map((f) => join(r.dir, 'violations', f))];
    const before = new Map(paths.map((p) => [p, read(p)]));
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      await reportCommand(r.dir);
    } finally {
      process.stdout.write = silent.write;
    }
    for (const p of paths) expect(read(p), p).toBe(before.get(p));
  });

  it('every JSON file matches the published schema and its zod source', () => {
    for (const [name, r] of runs) {
      const summary = JSON.parse(read(join(r.dir, 'summary.json'))) as unknown;
      expect(schemaErrors('summary.schema.json', summary), name).toBeNull();
      expect(stressSummarySchema.safeParse(summary).success, name).toBe(true);
      for (const { n } of r.docs) {
        const doc = JSON.parse(read(join(r.dir, 'violations', `${n}.json`))) as unknown;
        expect(schemaErrors('violation.schema.json', doc), name).toBeNull();
        expect(violationDocSchema.safeParse(doc).success, name).toBe(true);
        const trace = JSON.parse(read(join(r.dir, 'violations', `${n}.trace.json`))) as unknown;
        expect(schemaErrors('trace.schema.json', trace), name).toBeNull();
        expect(chromeTraceSchema.safeParse(trace).success, name).toBe(true);
      }
    }
  });

  it('the schema and the hand-written validator reject the same broken documents', () => {
    const doc = runs.get('put-object-uaf')!.docs[0]!.doc;
    const breakers: Array<[string, (d: Record<string, any>) => void]> = [
      ['no replay', (d) => delete d.replay],
      ['negative seed', (d) => (d.seed = -1)],
      ['unknown kind', (d) => (d.violation.kind = 'nope')],
      ['unknown op', (d) => (d.workload.threads[0] = [{ op: 'frobnicate' }])],
      ['unknown fault point', (d) => (d.workload.faultPoints = ['nope'])],
      ['fractional step', (d) => (d.trace[0].step = 1.5)],
      ['schemaVersion 2', (d) => (d.schemaVersion = 2)],
    ];
    for (const [what, f] of breakers) {
      const d = JSON.parse(JSON.stringify(doc)) as Record<string, any>;
      f(d);
      expect(schemaErrors('violation.schema.json', d), what).not.toBeNull();
      expect(() => validateDoc(d), what).toThrow(DocError);
    }
  });

  it('the trace file has a named track per thread, properly nested slices and the violation', () => {
    for (const [name, r] of withDocs()) {
      const { n, doc } = r.docs[0]!;
      const s = subjectOf(doc);
      const trace = JSON.parse(read(join(r.dir, 'violations', `${n}.trace.json`))) as ChromeTrace;
      const names = trace.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => String(e.args.name));
      expect(names.map((x) => x.replace(' (failing)', '')), name).toEqual(buildTimeline(s.trace, s.violation).lanes.map((l) => l.name));
      const v = trace.traceEvents.filter((e) => e.ph === 'i').filter((e) => e.cat === 'violation');
      expect(v, name).toHaveLength(1);
      expect(Math.floor(v[0]!.ts / 1000), name).toBe(s.violation.step);
      const ops = trace.traceEvents.filter((e) => e.ph === 'X' && e.cat === 'op');
      expect(ops.length, name).toBe(s.ops.length + buildTimeline(s.trace, s.violation).ops.filter((o) => o.result === null).length);
      expect(trace.traceEvents.some((e) => e.ph === 'i' && e.cat === 'refcount'), name).toBe(true);
      // Slices of one thread must form a stack: each starts after the enclosing one and ends within it.
      const byTid = new Map<number, Array<{ ts: number; end: number }>>();
      for (const e of trace.traceEvents) if (e.ph === 'X') byTid.set(e.tid, [...(byTid.get(e.tid) ?? []), { ts: e.ts, end: e.ts + e.dur }]);
      for (const [tid, xs] of byTid) {
        xs.sort((a, b) => a.ts - b.ts || b.end - a.end);
        const stack: number[] = [];
        for (const x of xs) {
          while (stack.length && stack[stack.length - 1]! <= x.ts) stack.pop();
          if (stack.length) expect(x.end, `${name} tid ${tid}`).toBeLessThanOrEqual(stack[stack.length - 1]!);
          stack.push(x.end);
        }
      }
      const b = trace.traceEvents.filter((e) => e.ph === 'b').length;
      expect(trace.traceEvents.filter((e) => e.ph === 'e').length, name).toBe(b);
    }
  });

  it('the DOT graph names the reported cycle in red, and Graphviz reads it when installed', () => {
    const dot = spawnSync('dot', ['-V'], { encoding: 'utf8' }).status === 0;
    for (const [name, r] of withDocs()) {
      const text = read(join(r.dir, 'violations', `${r.docs[0]!.n}.dot`));
      expect(text, name).toMatch(/^digraph lock_order \{/);
      if (name === 'put-under-lock' || name === 'as-found') expect(text, name).toMatch(/"&igroup->lock" -> "iommufd_object::destroy_rwsem:HW_PAGETABLE" \[.*color=red.*\(reported\)|\(reported\).*color=red/);
      if (name === 'abort-without-abort-op') expect(text, name).toMatch(/"&ioas->mutex" -> "&ioas->mutex" \[.*color=red/);
      if (dot) {
        const out = spawnSync('dot', ['-Tsvg'], { input: text, encoding: 'utf8' });
        expect(out.status, `${name}: ${out.stderr}`).toBe(0);
      }
    }
  });

  it('the Mermaid diagram has a participant per thread and boxes the failing step', () => {
    for (const [name, r] of withDocs()) {
      const { n, doc } = r.docs[0]!;
      const s = subjectOf(doc);
      const text = read(join(r.dir, 'violations', `${n}.mmd`));
      const lanes = buildTimeline(s.trace, s.violation).lanes;
      expect(text.split('\n')[0], name).toBe('sequenceDiagram');
      expect(text.match(/^ {2}participant P\d+ as /gm)?.length, name).toBe(lanes.length);
      expect(text, name).toContain('rect rgb(255, 225, 225)');
      expect(text, name).toContain(`step ${s.violation.step}: VIOLATION ${s.violation.kind}`);
      // '#' only as the start of an entity code: Mermaid would end the message there.
      expect(text.replace(/#(\d+|lt|gt);/g, ''), name).not.toMatch(/[#;]/);
    }
  });

  it('the HTML is self-contained and shows each kind’s evidence', () => {
    for (const [name, r] of withDocs()) {
      const { n, doc } = r.docs[0]!;
      const s = subjectOf(doc);
      const html = read(join(r.dir, 'violations', `${n}.html`));
      expect(html, name).toContain("Content-Security-Policy\" content=\"default-src 'none'");
      expect(html, name).not.toMatch(/<(script|img|iframe)[^>]+src=|<link[^>]+href=|url\(|@import/i);
      expect(html.match(/(?:href|src)="https?:/g), name).toBeNull();
      expect(html, name).toContain('id="timeline"');
      expect(html, name).toContain('id="fail-marker"');
      expect(html, name).toContain(doc.replay);
      expect(html, name).toContain(`failing step ${s.violation.step}`);
      expect(html, name).toContain('<h3>Objects (ctx-&gt;objects)</h3>');
      expect(html, name).toContain('<h3>iommufd_group</h3>');
    }
    const page = (v: string) => read(join(runs.get(v)!.dir, 'violations', '0001.html'));
    expect(page('put-under-lock')).toContain('Dependency chain');
    expect(page('put-under-lock')).toMatch(/<tr class="cycle">/);
    expect(page('abort-without-abort-op')).toContain('the class taken again while held');
    expect(page('auto-no-put-einval')).toContain('Wait-for edges');
    expect(page('replace-unattached')).toContain('<td class="refused">refused</td>');
  });

  it('the index shows the summary, machine coverage, op outcomes and links every violation', () => {
    for (const [name, r] of runs) {
      const html = read(join(r.dir, 'index.html'));
      const summary = JSON.parse(read(join(r.dir, 'summary.json'))) as StressSummary;
      const c = summary.coverage.device.states;
      expect(html, name).toContain(`${c.hit}/${c.total}`);
      for (const { n } of r.docs) expect(html, name).toContain(`href="violations/${n}.html"`);
      expect(html, name).toContain(r.docs.length ? 'FAILED' : '<b>OK</b>: no violation');
      // Counted over every schedule of the run: at least what the violating schedules did.
      const counts = summary.coverage.ops;
      expect(html, name).toContain('Counted over every schedule of the run.');
      for (const [op, row] of Object.entries(opOutcomes(r.docs.flatMap(({ doc }) => doc.ops)))) {
        for (const [res, n] of Object.entries(row)) expect(counts[op]?.[res] ?? 0, `${name} ${op} ${res}`).toBeGreaterThanOrEqual(n);
      }
      for (const [op, row] of Object.entries(counts)) {
        const tr = new RegExp(`<tr><td class="mono">${op}</td>(.*?)</tr>`).exec(html);
        expect(tr, `${name} ${op}`).not.toBeNull();
        const cells = [...tr![1]!.matchAll(/<td class="num taken">(\d+)<\/td>/g)].map((m) => Number(m[1]));
        expect(cells.sort(), `${name} ${op}`).toEqual(Object.values(row).sort());
      }
    }
  });
});

describe('the companions are not documents', () => {
  it('replay and explore name a NNNN.trace.json given for its NNNN.json (exit 2)', () => {
    const trace = join(runs.get('put-object-uaf')!.dir, 'violations', '0001.trace.json');
    for (const cmd of ['replay', 'explore']) {
      const r = spawnSync(process.execPath, [CLI, cmd, trace], { encoding: 'utf8' });
      expect(r.status, cmd).toBe(2);
      expect(r.stderr.trim().split('\n'), cmd).toEqual([`error: ${cmd}: ${trace}: is a Chrome trace-event file (a report's timeline), not a violation document: use the NNNN.json beside it`]);
    }
  });
});

describe('report DIR: bad input is one UsageError line and writes nothing', () => {
  const bad = (name: string, setup: (dir: string) => void): string => {
    const dir = join(tempRoot(), `bad-${name}`);
    mkdirSync(join(dir, 'violations'), { recursive: true });
    setup(dir);
    return dir;
  };
  const summary = () => read(join(runs.get('put-object-uaf')!.dir, 'summary.json'));
  const doc = () => read(join(runs.get('put-object-uaf')!.dir, 'violations', '0001.json'));

  it.each([
    ['no such folder', () => join(tempRoot(), 'no-such-dir'), /no-such-dir: no such directory/],
    ['an empty folder', () => bad('empty', () => {}), /no summary\.json and no violations/],
    ['a summary that is not JSON', () => bad('json', (d) => writeFileSync(join(d, 'summary.json'), '{"schemaVersion": 1,')), /summary\.json: is not valid JSON/],
    ['a summary of the wrong shape', () => bad('shape', (d) => writeFileSync(join(d, 'summary.json'), summary().replace('"runsDone"', '"runsDon"'))), /summary\.json: runsDone: /],
    [
      'a broken document',
      () =>
        bad('doc', (d) => {
          writeFileSync(join(d, 'summary.json'), summary());
          writeFileSync(join(d, 'violations', '0001.json'), doc());
          writeFileSync(join(d, 'violations', '0002.json'), doc().replace('"schemaVersion": 1', '"schemaVersion": 7'));
        }),
      /0002\.json: schemaVersion is 7/,
    ],
  ])('%s', async (_what, make, message) => {
    const dir = make();
    const err = await reportCommand(dir).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UsageError);
    const m = (err as UsageError).message;
    expect(m).toMatch(message);
    expect(m.split('\n')).toHaveLength(1);
    if (existsSync(dir)) {
      expect(existsSync(join(dir, 'index.html'))).toBe(false);
      expect(readdirSync(join(dir, 'violations')).filter((f) => !/^\d{4}\.json$/.test(f))).toEqual([]);
    }
  });
});
