// Bad input, every command: a malformed flag, an unknown name, an unreadable or malformed file,
// folders that do not merge. Each must be exactly one line on stderr, no stack trace, exit 2,
// and nothing written.
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectUsageError, makeTemp, removeTemp, ROOT, runCli } from './support.js';

let tmp = '';
const cli = (args: string[]) => runCli(tmp, args);

beforeAll(() => {
  tmp = makeTemp('bad-input');
});
afterAll(() => removeTemp(tmp));

describe('flags: one line on stderr, exit 2, nothing written', () => {
  it.each([
    [['stress', '--frobnicate'], /unknown option/],
    [['stress', '--runs', '0'], /--runs/],
    [['stress', '--runs', 'abc'], /--runs/],
    [['stress', '--runs', '1.5'], /--runs/],
    [['stress', '--threads', '0'], /--threads/],
    [['stress', '--seed', '4294967296'], /--seed/],
    [['stress', '--seed', 'x1'], /--seed/],
    [['stress', '--time', '-3'], /--time/],
    [['stress', '--max-steps', '0'], /--max-steps/],
    [['stress', '--workload-every', '0'], /--workload-every/],
    [['stress', '--pct-depth', '0'], /--pct-depth/],
    [['stress', '--profile', 'nope'], /--profile/],
    [['stress', '--variant', 'nope'], /--variant/],
    [['stress', '--variant', 'put-under-lock', '--variant', 'nope'], /nope/],
    [['stress', 'extra-argument'], /too many arguments|excess/i],
    [['stress', '--scheduler', 'bfs'], /--scheduler/],
    [['stress', '--scheduler', 'dfs', '--dfs-budget', '0'], /--dfs-budget/],
    [['stress', '--dfs-budget', '8'], /--dfs-budget applies to --scheduler dfs only/],
    [['stress', '--scheduler', 'dfs', '--workload-every', '4'], /--workload-every does not apply/],
    [['stress', '--scheduler', 'dfs', '--pct-depth', '2'], /--pct-depth applies to --scheduler pct only \(not dfs\)/],
    [['stress', '--scheduler', 'random', '--pct-depth', '2'], /--pct-depth applies to --scheduler pct only \(not random\)/],
    [['stress', '--scheduler', 'portfolio', '--pct-depth', '2'], /not portfolio, whose PCT members/],
    [['stress', '--threads', '9'], /--threads.*from 1 to 8/],
    [['stress', '--workers', '0'], /--workers/],
    [['stress', '--workers', 'abc'], /--workers/],
    [['stress', '--workers', '-2'], /--workers/],
    [['stress', '--workers', '100000'], /--workers/],
    [['stress', '--shard', '0/3'], /--shard.*K must be from 1 to 3/],
    [['stress', '--shard', '4/3'], /--shard.*K must be from 1 to 3/],
    [['stress', '--shard', 'abc'], /--shard.*K\/N/],
    [['stress', '--shard', '1/0'], /--shard.*N must be at least 1/],
    [['stress', '--shard', '3'], /--shard.*K\/N/],
    [['stress', '--shard', '1/2/3'], /--shard.*K\/N/],
    [['stress', '--shard', '2/3', '--scheduler', 'dfs'], /--shard does not apply to --scheduler dfs/],
    [['stress', '--quiet', '--runs', 'many'], /--runs/],
    [['bogus-command'], /unknown command/],
    [['replay'], /missing required argument/],
    [['merge'], /required option '--out|missing required argument/],
    [['merge', '--out', 'merged'], /missing required argument/],
    [['merge', 'some-dir'], /--out/],
    [['report'], /missing required argument/],
    [['--frobnicate'], /unknown option/],
    [[], /missing command: one of stress, /],
  ])('%j', (args, match) => {
    const r = cli(args as string[]);
    expectUsageError(r, match);
    expect(r.stdout).toBe('');
    expect(existsSync(join(tmp, 'out'))).toBe(false);
  });
});

describe('files and folders: one line on stderr, exit 2', () => {
  it('stress --out that is a file, --json into a missing folder', () => {
    writeFileSync(join(tmp, 'a-file'), 'x');
    expectUsageError(cli(['stress', '--runs', '8', '--out', 'a-file']), /--out a-file: cannot use/);
    expectUsageError(cli(['stress', '--runs', '8', '--out', 'j', '--json', 'no/such/dir/s.json']), /--json no\/such\/dir\/s\.json: no directory/);
    // Refused before the campaign: nothing is written to --out.
    mkdirSync(join(tmp, 'a-dir'));
    expectUsageError(cli(['stress', '--runs', '8', '--out', 'j2', '--json', 'a-dir']), /--json a-dir: is a directory/);
    expect(existsSync(join(tmp, 'j2'))).toBe(false);
  });

  it('explore --out that is a file; a workload with more threads than supported', () => {
    const wl = JSON.parse(readFileSync(join(ROOT, 'docs/workloads/replace-vs-destroy.json'), 'utf8')) as { threads: unknown[] };
    writeFileSync(join(tmp, 'wl.json'), JSON.stringify(wl));
    expectUsageError(cli(['explore', 'wl.json', '--out', 'a-file']), /--out a-file: cannot use/);
    writeFileSync(join(tmp, 'wl9.json'), JSON.stringify({ ...wl, threads: Array.from({ length: 9 }, () => wl.threads[0]) }));
    expectUsageError(cli(['explore', 'wl9.json', '--out', 'e9']), /workload\.threads has 9 threads; at most 8 are supported/);
    expect(existsSync(join(tmp, 'e9'))).toBe(false);
  });

  it('replay: missing, not JSON, the wrong shape or schema version, a folder', () => {
    expectUsageError(cli(['replay', join(tmp, 'no-such.json')]), /no-such\.json: no such file/);
    const f = join(tmp, 'broken.json');
    writeFileSync(f, '{"schemaVersion": 1, "seed": ');
    expectUsageError(cli(['replay', f]), /broken\.json: is not valid JSON/);
    writeFileSync(f, JSON.stringify({ schemaVersion: 2 }));
    expectUsageError(cli(['replay', f]), /broken\.json: schemaVersion/);
    writeFileSync(f, JSON.stringify([1, 2]));
    expectUsageError(cli(['replay', f]), /broken\.json: document must be an object/);
    mkdirSync(join(tmp, 'a-folder'), { recursive: true });
    expectUsageError(cli(['replay', join(tmp, 'a-folder')]), /a-folder/);
  });

  it('explore: a workload file that is not JSON, or not a workload', () => {
    const f = join(tmp, 'wl.json');
    writeFileSync(f, 'threads: [');
    expectUsageError(cli(['explore', f]), /wl\.json/);
    const good = JSON.parse(readFileSync(join(ROOT, 'docs/workloads/replace-vs-destroy.json'), 'utf8')) as { threads: unknown[] };
    writeFileSync(f, JSON.stringify({ ...good, threads: [] }));
    expectUsageError(cli(['explore', f]), /threads/);
  });
});

describe('merge: folders that are not parts of one campaign', () => {
  const part = (name: string, args: string[]) => {
    const r = cli(['stress', '--seed', '3', '--runs', '48', '--threads', '2', '--out', name, '--quiet', ...args]);
    expect(r.status, r.stderr).toBe(0);
    return name;
  };

  beforeAll(() => {
    part('s1', ['--shard', '1/2']);
    part('s2', ['--shard', '2/2']);
    part('s2-seed4', ['--shard', '2/2', '--seed', '4']);
    part('s2-of3', ['--shard', '2/3']);
    part('s2-kg', ['--shard', '2/2', '--keep-going']);
    mkdirSync(join(tmp, 'empty'), { recursive: true });
    for (const [name, summary] of [
      ['not-json', '{"seed": '],
      ['bad-shape', JSON.stringify({ schemaVersion: 1, seed: 'three' })],
    ] as const) {
      mkdirSync(join(tmp, name), { recursive: true });
      writeFileSync(join(tmp, name, 'summary.json'), summary);
    }
    // A summary that lists a violation whose document is missing, and one whose document is broken.
    for (const name of ['doc-missing', 'doc-broken']) {
      cpSync(join(tmp, 's2'), join(tmp, name), { recursive: true });
      const s = JSON.parse(readFileSync(join(tmp, name, 'summary.json'), 'utf8'));
      s.violations.distinct.push({
        n: 1,
        file: `${name}/violations/0001.json`,
        text: `${name}/violations/0001.txt`,
        kind: 'refcount',
        invariant: null,
        location: 'x',
        message: 'm',
        scheduleIndex: 9,
        workloadIndex: 1,
        thread: 'T0',
        step: 3,
      });
      writeFileSync(join(tmp, name, 'summary.json'), JSON.stringify(s));
    }
    writeFileSync(join(tmp, 'doc-broken', 'violations', '0001.json'), '{"schemaVersion": 1');
  }, 60_000);

  it.each([
    [['no-such-dir'], /no-such-dir: no such folder/],
    [['empty'], /empty: no summary\.json/],
    [['not-json'], /not-json\/summary\.json: is not valid JSON/],
    [['bad-shape'], /bad-shape\/summary\.json: /],
    [['s1', 's2-seed4'], /another campaign.*seed 4 differs from 3/],
    [['s1', 's2-kg'], /another campaign.*options/],
    [['s1', 's2-of3'], /part of 3 shards.*of 2/],
    [['s1', 's1'], /shard 1\/2 is in both/],
    [['s1', 'doc-missing'], /doc-missing\/violations\/0001\.json: cannot read/],
    [['s1', 'doc-broken'], /doc-broken\/violations\/0001\.json: is not valid JSON/],
  ])('merge %j', (dirs, match) => {
    const r = cli(['merge', '--out', 'merged', ...(dirs as string[])]);
    expectUsageError(r, match);
    expect(existsSync(join(tmp, 'merged'))).toBe(false);
  });

  it('--out must not be one of the folders it merges', () => {
    expectUsageError(cli(['merge', '--out', 's1', 's1', 's2']), /--out s1 is one of the folders to merge/);
  });
});
