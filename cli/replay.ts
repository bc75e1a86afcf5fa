// `replay FILE`: re-run a violation document's schedule and check that it ends in the same violation.
import { readFileSync } from 'node:fs';
import { Runner } from '../runner/run.js';
import { ReplayDivergence, ReplayScheduler } from '../schedulers/replay.js';
import type { Violation } from '../engine/violation.js';
import { DocError, formatJson, parseDoc, SCHEMA_VERSION, TOOL_NAME, toolVersion, toPlain, writeFileAtomic, type ReplayResult, type ViolationDoc } from '../runner/doc.js';
import { headline, reportOf, reportOfOriginal, violationHeader, violationText } from '../runner/report.js';
import { decodeSchedule, encodeSchedule, ScheduleFormatError } from '../schedulers/encoding.js';
import { EXIT_INTERNAL, EXIT_VIOLATION, UsageError } from './errors.js';

export interface ReplayCliOptions {
  json?: string;
  /** 'original', 'minimal' (default when the document has one) or a compact schedule string. */
  schedule?: string;
}

export type { ReplayOutcome, ReplayResult } from '../runner/doc.js';

export function readDoc(file: string): ViolationDoc {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : `cannot read (${code ?? String(e)})`;
    throw new UsageError(`replay: ${file}: ${why}`);
  }
  try {
    return parseDoc(text);
  } catch (e) {
    if (e instanceof DocError) throw new UsageError(`replay: ${file}: ${e.message}`);
    throw e;
  }
}

function same(a: Violation, b: Violation): boolean {
  return a.kind === b.kind && a.location === b.location;
}

export async function replayCommand(file: string, o: ReplayCliOptions): Promise<number> {
  const doc = readDoc(file);
  const out = o.json === '-' ? process.stderr : process.stdout;
  if (doc.tool.version !== toolVersion()) {
    process.stderr.write(`note: ${file} was written by ${doc.tool.name} ${doc.tool.version}, this is ${toolVersion()}\n`);
  }
  const runner = new Runner({
    profile: doc.options.profile,
    variants: doc.options.variants,
    maxSteps: doc.options.maxSteps,
    atomicity: doc.options.atomicity,
  });
  const useMinimal = doc.minimal !== undefined && o.schedule !== 'original';
  const workload = useMinimal ? doc.minimal!.workload : doc.workload;
  let decisions = useMinimal ? doc.minimal!.decisions : doc.schedule.decisions;
  if (o.schedule !== undefined && o.schedule !== 'original' && o.schedule !== 'minimal') {
    try {
      decisions = decodeSchedule(o.schedule);
    } catch (e) {
      if (e instanceof ScheduleFormatError) throw new UsageError(`replay: --schedule: ${e.message}`);
      throw e;
    }
  } else if (o.schedule === 'minimal' && !doc.minimal) {
    throw new UsageError(`replay: ${file}: the document has no minimal schedule (it was written with --no-minimise)`);
  }
  // The recorded enabled sets fit the recorded decisions only: not a --schedule given by hand.
  const enabledText = o.schedule === undefined || o.schedule === 'original' || o.schedule === 'minimal' ? (useMinimal ? doc.minimal!.enabled : doc.schedule.enabled) : undefined;
  const sched = new ReplayScheduler(decisions, enabledText !== undefined ? decodeSchedule(enabledText) : null);
  const expected = useMinimal ? doc.minimal!.violation : doc.violation;
  const result: ReplayResult = {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: TOOL_NAME, version: toolVersion() },
    file,
    outcome: 'diverged',
    expected: { kind: expected.kind, invariant: expected.invariant ?? null, location: expected.location, message: expected.message },
    got: null,
    divergence: null,
    decisionsRecorded: decisions.length,
    decisionsConsumed: 0,
    steps: null,
  };
  const lines: string[] = [];
  try {
    const r = await runner.run(workload, sched, true, true);
    result.steps = r.steps;
    result.decisionsConsumed = sched.consumed;
    result.got = r.violation ? toPlain(r.violation) : null;
    if (!r.violation) {
      result.outcome = 'no-violation';
      lines.push(`DIVERGED: ${file}: the replayed run ended without a violation after ${r.steps} steps`);
    } else if (!same(r.violation, expected)) {
      result.outcome = 'different-violation';
      lines.push(`DIVERGED: ${file}: the replayed run ended in a different violation`);
      lines.push(`  got:      ${violationHeader(r.violation)}: ${headline(r.violation.message)}`);
    } else {
      result.outcome = 'reproduced';
      const frame = useMinimal ? reportOf(doc) : reportOfOriginal(doc);
      const text = violationText({ ...frame, violation: r.violation, ops: r.ops, trace: r.trace, decisions: decisions.length, compact: encodeSchedule(decisions) }, file);
      out.write(text);
      process.stderr.write(`reproduced: ${violationHeader(r.violation)} (${sched.consumed}/${decisions.length} decisions)\n`);
    }
  } catch (e) {
    if (!(e instanceof ReplayDivergence)) throw e;
    result.outcome = 'diverged';
    result.decisionsConsumed = sched.consumed;
    result.divergence = { index: e.index, step: e.step, expected: e.expected, enabled: e.enabled, recordedEnabled: e.recordedEnabled };
    lines.push(`DIVERGED: ${file}: ${e.message} (${decisions.length} decisions recorded)`);
  }
  if (result.outcome !== 'reproduced') {
    lines.push(`  expected: ${violationHeader(expected)}: ${headline(expected.message)}`);
    lines.push('  the model, the workload or the decisions changed since the document was written');
    out.write(lines.join('\n') + '\n');
  }
  if (o.json === '-') process.stdout.write(formatJson(result));
  else if (o.json !== undefined) {
    try {
      writeFileAtomic(o.json, formatJson(result));
    } catch (e) {
      throw new UsageError(`--json ${o.json}: cannot write (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
  }
  return result.outcome === 'reproduced' ? EXIT_VIOLATION : EXIT_INTERNAL;
}
