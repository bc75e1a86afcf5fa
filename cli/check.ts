// `check FILE...`: run scenario files (sequential conformance with the kernel) and report
// every step that differs. Last stdout line: "N passed, M failed" (scenarios).
import { ScenarioError, loadScenarios, type Scenario } from '../runner/scenario.js';
import { runScenario, type CheckReport, type ScenarioResult } from '../runner/check.js';
import type { ProfileName } from '../engine/profiles.js';
import { formatJson, SCHEMA_VERSION, TOOL_NAME, toolVersion, writeFileAtomic } from '../runner/doc.js';
import { EXIT_OK, EXIT_VIOLATION, UsageError } from './errors.js';

export interface CheckOptions {
  profile: ProfileName;
  json?: string;
}

function line(r: ScenarioResult): string {
  if (r.pass) return `PASS ${r.name}`;
  const f = r.firstFailure;
  if (!f) return `FAIL ${r.name}: stopped after ${r.steps.length} steps`;
  return `FAIL ${r.name}: step ${f.index} (${f.op}) expected ${f.expected}, got ${f.actual}${f.detail ? ` (${f.detail})` : ''}`;
}

export async function checkCommand(files: string[], o: CheckOptions): Promise<number> {
  const loaded: Array<{ file: string; scenarios: Scenario[] }> = [];
  for (const file of files) {
    try {
      loaded.push({ file, scenarios: loadScenarios(file) });
    } catch (e) {
      if (e instanceof ScenarioError) throw new UsageError(e.message);
      throw e;
    }
  }
  const out = o.json === '-' ? process.stderr : process.stdout;
  let passed = 0;
  let failed = 0;
  const report: Array<{ file: string; scenarios: ScenarioResult[] }> = [];
  for (const { file, scenarios } of loaded) {
    const results: ScenarioResult[] = [];
    for (const sc of scenarios) {
      if (sc.profiles && !sc.profiles.includes(o.profile)) {
        out.write(`SKIP ${sc.name}: describes ${sc.profiles.join(', ')} only\n`);
        continue;
      }
      const r = await runScenario(sc, o.profile);
      results.push(r);
      if (r.pass) passed++;
      else failed++;
      out.write(`${line(r)}\n`);
    }
    report.push({ file, scenarios: results });
  }
  const doc: CheckReport = { schemaVersion: SCHEMA_VERSION, tool: { name: TOOL_NAME, version: toolVersion() }, profile: o.profile, passed, failed, files: report };
  const json = formatJson(doc);
  if (o.json === '-') process.stdout.write(json);
  else if (o.json !== undefined) {
    try {
      writeFileAtomic(o.json, json);
    } catch (e) {
      throw new UsageError(`--json ${o.json}: cannot write (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
  }
  out.write(`${passed} passed, ${failed} failed\n`);
  return failed > 0 ? EXIT_VIOLATION : EXIT_OK;
}
