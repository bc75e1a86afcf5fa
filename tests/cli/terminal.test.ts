// What the CLI shows a person at a terminal and nobody else: the progress bar (stderr a
// terminal, not CI, not --quiet) and the coloured verdict (stdout a terminal, NO_COLOR unset).
import { describe, expect, it } from 'vitest';
import { colourVerdict, colourWanted } from '../../cli/colour.js';
import { progressFields, progressWanted } from '../../cli/progress.js';

describe('progress bar', () => {
  it.each([
    [true, {}, false, true],
    [false, {}, false, false],
    [undefined, {}, false, false],
    [true, { CI: 'true' }, false, false],
    [true, { CI: '1' }, false, false],
    [true, { CI: '' }, false, true],
    [true, { CI: 'false' }, false, true],
    [true, {}, true, false],
  ])('stderr a TTY: %s, env %j, --quiet %s: shown %s', (isTTY, env, quiet, shown) => {
    expect(progressWanted({ isTTY }, env, quiet)).toBe(shown);
  });

  it('rate and time left; --time bounds the time left', () => {
    expect(progressFields({ done: 2000, total: 10_000, violations: 1, elapsedSeconds: 2, timeLeftSeconds: null })).toEqual({
      rate: '1,000',
      violations: '1 violation',
      eta: '8s',
    });
    expect(progressFields({ done: 2000, total: 1_000_000, violations: 3, elapsedSeconds: 2, timeLeftSeconds: 90 }).eta).toBe('1m30s');
    expect(progressFields({ done: 0, total: 10, violations: 0, elapsedSeconds: 0, timeLeftSeconds: null })).toEqual({ rate: '0', violations: '0 violations', eta: '?' });
  });
});

describe('colour', () => {
  it.each([
    [true, {}, true],
    [true, { NO_COLOR: '1' }, false],
    [true, { NO_COLOR: '' }, true],
    [false, {}, false],
  ])('stdout a TTY: %s, env %j: coloured %s', (isTTY, env, coloured) => {
    expect(colourWanted({ isTTY }, env)).toBe(coloured);
  });

  it('only the verdict line is coloured', () => {
    const text = 'iommufd-model stress: seed 1\n  OK: not a verdict\n\nOK: no violation in 10 schedules\n  summary: out/summary.json\n';
    const lines = colourVerdict(text).split('\n');
    expect(lines[3]).toBe('\x1b[1;32mOK: no violation in 10 schedules\x1b[0m');
    expect(lines.filter((l) => l.includes('\x1b'))).toHaveLength(1);
    expect(colourVerdict('\nFAILED: 2 distinct violations\n')).toContain('\x1b[1;31mFAILED: 2 distinct violations\x1b[0m');
  });
});
