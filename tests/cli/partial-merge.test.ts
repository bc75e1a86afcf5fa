// A merge of some of a campaign's shards, and the rebuild command of a run's index.html, through
// the compiled command line: what a person reads in the terminal and in the page.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTemp, removeTemp, runCli } from './support.js';

let tmp = '';
beforeAll(() => {
  tmp = makeTemp('partial-merge');
  // Shard 1 of 3 of the fixed profile: 400 of the 1,200 schedules, no violation.
  const r = runCli(tmp, ['stress', '--seed', '1', '--runs', '1200', '--shard', '1/3', '--out', 'shard-1', '--quiet']);
  expect(r.status, r.stderr).toBe(0);
});
afterAll(() => removeTemp(tmp));

describe('merge of 1 of 3 shards', () => {
  it('says how many requested schedules ran and which shards are missing, not that all ran', () => {
    const r = runCli(tmp, ['merge', 'shard-1', '--out', 'merged']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('all requested schedules ran');
    expect(r.stdout).toContain('400/1,200 schedules');
    expect(r.stdout).toContain('partial merge: 400 of 1,200 requested schedules ran');
    expect(r.stdout).toContain('missing shards 2/3, 3/3');
    const s = JSON.parse(readFileSync(join(tmp, 'merged', 'summary.json'), 'utf8'));
    expect([s.runsDone, s.runsRequested, s.merged]).toEqual([400, 1200, { count: 3, shards: [1] }]);
    expect(readFileSync(join(tmp, 'merged', 'index.html'), 'utf8')).toContain('merge of shards 1 of 3 (partial: shards 2, 3 missing)');
  });
});

describe('index.html', () => {
  it('names the folder it was written for in its rebuild command, from stress, merge and report', () => {
    const page = (dir: string) => readFileSync(join(tmp, dir, 'index.html'), 'utf8');
    expect(page('shard-1')).toContain('<code>npm run cli -- report shard-1</code>');
    expect(runCli(tmp, ['merge', 'shard-1', '--out', 'merged-again', '--quiet']).status).toBe(0);
    expect(page('merged-again')).toContain('<code>npm run cli -- report merged-again</code>');
    const r = runCli(tmp, ['report', './shard-1']);
    expect(r.status, r.stderr).toBe(0);
    expect(page('shard-1')).toContain('<code>npm run cli -- report ./shard-1</code>');
    expect(page('shard-1')).not.toContain('report DIR');
  });
});
