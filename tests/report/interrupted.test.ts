// A stress run stopped by Ctrl-C still writes the reports of what it found: the page of every
// violation and the run's index, as an uninterrupted run does.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, cleanup, tempRoot } from './fixtures.js';

afterAll(cleanup);

describe('an interrupted stress run', () => {
  it('writes NNNN.html, .trace.json, .mmd, .dot per violation found and index.html', async () => {
    const out = join(tempRoot(), 'interrupted');
    // v6.6 has its first violation within a thousand schedules; the budget would take hours.
    const child = spawn(process.execPath, [CLI, 'stress', '--profile', 'v6.6', '--keep-going', '--runs', '100000000', '--out', out], {
      env: { ...process.env, CI: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGINT'), 5000);
    await new Promise<void>((res) => child.on('exit', () => res()));
    clearTimeout(timer);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { interrupted: boolean; violations: { distinct: unknown[] } };
    expect(summary.interrupted, stderr).toBe(true);
    const n = summary.violations.distinct.length;
    expect(n, stderr).toBeGreaterThan(0);
    const files = readdirSync(join(out, 'violations')).sort();
    const bases = files.filter((f) => /^\d{4}\.json$/.test(f)).map((f) => f.slice(0, 4));
    expect(bases).toHaveLength(n);
    expect(files).toEqual(bases.flatMap((b) => [`${b}.dot`, `${b}.html`, `${b}.json`, `${b}.mmd`, `${b}.trace.json`, `${b}.txt`]).sort());
    const index = readFileSync(join(out, 'index.html'), 'utf8');
    for (const b of bases) expect(index).toContain(`href="violations/${b}.html"`);
  }, 60_000);
});
