// SIGINT and SIGTERM sent to a real stress process: it stops scheduling, writes the summary and
// every violation found so far (no temporary file left behind), says where they are, and exits
// 130 or 143 whether or not it found a violation.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ENV, makeTemp, removeTemp } from './support.js';

let tmp = '';
beforeAll(() => {
  tmp = makeTemp('signals');
});
afterAll(() => removeTemp(tmp));

/**
 * Start a campaign far too long to finish and signal it `delayMs` after its output folder
 * appears (the handlers are installed right after; before, the signal would simply kill it).
 */
async function interrupt(name: string, args: string[], signal: NodeJS.Signals, delayMs: number): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const cwd = join(tmp, name);
  mkdirSync(cwd, { recursive: true });
  const child = spawn(process.execPath, [CLI, 'stress', '--runs', '100000000', ...args, '--out', 'out'], { cwd, env: ENV });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  let timer: NodeJS.Timeout | undefined;
  const poll = setInterval(() => {
    if (timer === undefined && existsSync(join(cwd, 'out', 'violations'))) timer = setTimeout(() => child.kill(signal), delayMs);
  }, 50);
  const code = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
  clearInterval(poll);
  clearTimeout(timer);
  return { code, stderr, stdout };
}

function expectWritten(name: string, signal: string): { distinct: Array<{ file: string; text: string }> } {
  const out = join(tmp, name, 'out');
  const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  expect(s).toMatchObject({ interrupted: true, stoppedBy: 'interrupt', signal });
  expect(s.runsDone).toBeGreaterThan(0);
  expect(s.runsDone).toBeLessThan(100000000);
  for (const v of s.violations.distinct) {
    expect(existsSync(join(tmp, name, v.file)), v.file).toBe(true);
    expect(existsSync(join(tmp, name, v.text)), v.text).toBe(true);
  }
  const left = [...readdirSync(out), ...readdirSync(join(out, 'violations'))].filter((f) => f.endsWith('.tmp'));
  expect(left).toEqual([]);
  return { distinct: s.violations.distinct };
}

describe.each([
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const)('%s', (signal, code) => {
  it(`a clean campaign: exit ${code}, the summary says ${signal}`, async () => {
    const name = `clean-${signal}`;
    const r = await interrupt(name, ['--no-faults', '--workers', '2'], signal, 1500);
    expect(r.code, r.stderr).toBe(code);
    const s = expectWritten(name, signal);
    expect(s.distinct).toEqual([]);
    expect(r.stderr).toMatch(new RegExp(`${signal}: stopping`));
    expect(r.stderr).toMatch(/out\/summary\.json/);
    expect(r.stdout).toMatch(/INTERRUPTED/);
  });

  it(`with violations found: exit ${code}, every document written`, async () => {
    const name = `violations-${signal}`;
    const r = await interrupt(name, ['--profile', 'v6.6', '--keep-going', '--no-minimise', '--workers', '2'], signal, 3000);
    expect(r.code, r.stderr).toBe(code);
    const s = expectWritten(name, signal);
    expect(s.distinct.length).toBeGreaterThan(0);
    expect(r.stdout).toMatch(/FAILED: \d+ distinct violation/);
  });
});
