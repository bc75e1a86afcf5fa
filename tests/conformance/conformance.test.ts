// The conformance suite: every scenario file under tests/conformance passes on each profile,
// and the sequential answers of v6.6 and fixed are identical (the fixes only change
// interleavings, except the Z4 and F1 cases, which scenarios mark by running one profile).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenarios } from '../../runner/scenario.js';
import { runScenario } from '../../runner/check.js';
import { PROFILES } from '../../engine/profiles.js';

const dir = new URL('.', import.meta.url).pathname;
const files = readdirSync(dir)
  .filter((f) => /\.(json|ya?ml)$/.test(f))
  .sort();
const all = files.flatMap((f) => loadScenarios(join(dir, f)).map((sc) => ({ file: f, sc })));

describe('conformance scenarios', () => {
  it('there are at least 40 scenarios, each citing its source', () => {
    expect(all.length).toBeGreaterThanOrEqual(40);
    for (const { file, sc } of all) expect(sc.source, `${file}: ${sc.name}`).toBeTruthy();
  });

  for (const profile of PROFILES) {
    it.each(all.map(({ file, sc }) => [`${file}: ${sc.name}`, sc] as const))(`${profile}: %s`, async (_n, sc) => {
      if (sc.profiles && !sc.profiles.includes(profile)) return;
      const r = await runScenario(sc, profile);
      const f = r.firstFailure;
      expect(f ? `step ${f.index} (${f.op}): expected ${f.expected}, got ${f.actual}${f.detail ? ` (${f.detail})` : ''}` : null).toBeNull();
      expect(r.steps.length).toBe(sc.steps.length);
    });
  }
});
