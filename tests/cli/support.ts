// Running the compiled command line (node dist/cli/main.js) as a child process, for the CLI
// tests. `npm test` compiles with tsc first; run `npx tsc -p tsconfig.json` before
// `npx vitest run tests/cli`.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = join(ROOT, 'dist/cli/main.js');
/** The environment of a user: no debug stacks, no CI (the progress bar is off anyway: no terminal). */
export const ENV: NodeJS.ProcessEnv = { ...process.env };
delete ENV.IOMMUFD_MODEL_DEBUG;

/** A fresh temporary folder (the CLI's working directory); remove it with removeTemp. */
export function makeTemp(name: string): string {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npx tsc -p tsconfig.json first`);
  return mkdtempSync(join(tmpdir(), `iommufd-model-${name}-`));
}

export function removeTemp(dir: string): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

export function runCli(cwd: string, args: string[], timeout = 60_000, env: NodeJS.ProcessEnv = ENV): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout, env });
}

/** Bad input: exit 2, exactly one line on stderr, no stack trace. */
export function expectUsageError(r: SpawnSyncReturns<string>, match?: RegExp): void {
  expect(r.status, r.stderr).toBe(2);
  const lines = r.stderr.split('\n').filter((l) => l.length > 0);
  expect(lines, r.stderr).toHaveLength(1);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  if (match) expect(lines[0]).toMatch(match);
}

/** The example scenario of ../shared/spec/scenario-format.md. */
export const SPEC_EXAMPLE = {
  name: 'replace_between_user_hwpts',
  steps: [
    { op: 'ioas_alloc', as: 'ioas1', expect: 'ok' },
    { op: 'mock_domain', pt: 'ioas1', as: 'dev1', expect: 'ok' },
    { op: 'hwpt_alloc', dev: 'dev1.idev', pt: 'ioas1', flags: 0, as: 'hwptA', expect: 'ok' },
    { op: 'replace', dev: 'dev1.stdev', pt: 'hwptA', out: 'cur', expect: 'ok', expect_same: ['cur', 'hwptA'] },
    { op: 'destroy', id: 'hwptA', expect: 'EBUSY' },
    { op: 'destroy', id: 99999, expect: 'ENOENT' },
  ],
};
