// Real stress output for the report tests: the compiled CLI (npm test builds it first) runs short
// campaigns with bug variants, so the documents are what stress writes today, never stale copies.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readViolationDocs } from '../../cli/report.js';
import type { NumberedDoc } from '../../runner/report/write.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = join(ROOT, 'dist/cli/main.js');

/** Variants that stop within a few hundred schedules of seed 1, one per kind of report section. */
export const VARIANTS = {
  'put-under-lock': 'lockdep-circular',
  'abort-without-abort-op': 'lockdep-recursive',
  'put-object-uaf': 'use-after-free',
  'auto-no-put-einval': 'deadlock',
  'replace-unattached': 'model',
} as const;

export interface StressOut {
  dir: string;
  docs: NumberedDoc[];
}

let root = '';

export function tempRoot(): string {
  if (!root) root = mkdtempSync(join(tmpdir(), 'iommufd-model-report-'));
  return root;
}

export function cleanup(): void {
  if (root) rmSync(root, { recursive: true, force: true });
  root = '';
}

/** `stress --seed SEED --runs RUNS ARGS --out DIR`, then the documents it wrote. */
export function stress(name: string, args: string[], runs = 3000, seed = 1): StressOut {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npx tsc -p tsconfig.json first`);
  const dir = join(tempRoot(), name);
  const r = spawnSync(process.execPath, [CLI, 'stress', '--seed', String(seed), '--runs', String(runs), ...args, '--out', dir], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0 && r.status !== 1) throw new Error(`stress ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { dir, docs: readViolationDocs(join(dir, 'violations')) };
}

export function variantRun(variant: keyof typeof VARIANTS, extra: string[] = []): StressOut {
  return stress(`${variant}${extra.join('')}`, ['--variant', variant, ...extra]);
}
