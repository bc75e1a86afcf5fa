// Opens generated reports in headless Chromium (Debian's `chromium`, driven by playwright-core)
// and checks what a person sees: the swimlanes, the failing step, the inspector, the index's
// links, and that Mermaid itself parses and draws the .mmd files. Screenshots are kept in
// test-artifacts/. Without Chromium the test is skipped with a loud message, except in CI
// (.ci/run installs it), where a missing browser fails.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subjectOf } from '../../runner/report/subject.js';
import { headline, violationHeader } from '../../runner/report.js';
import { buildTimeline } from '../../runner/report/timeline.js';
import { cleanup, ROOT, variantRun, type StressOut } from './fixtures.js';

const ARTIFACTS = join(ROOT, 'test-artifacts');

function findChromium(): string | null {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : null;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  return null;
}

const executablePath = findChromium();

if (!executablePath) {
  const banner = '!'.repeat(100);
  console.warn(
    `\n${banner}\n!! SKIPPED tests/report/browser.test.ts: no Chromium found (apt-get install chromium, or set CHROMIUM_PATH).\n` +
      `!! The HTML reports were NOT checked in a browser. CI installs Chromium in .ci/run and runs this test.\n${banner}\n`,
  );
  if (process.env.CI) {
    describe('browser', () => {
      it('needs Chromium in CI (.ci/run installs it)', () => {
        expect.fail('no Chromium found although CI is set: .ci/run should have installed it');
      });
    });
  }
}

describe.skipIf(!executablePath)('reports in Chromium', () => {
  let browser: Browser;
  const runs = new Map<string, StressOut>();

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    // The pages stress itself wrote (documents.test.ts checks `report DIR` rebuilds the same bytes).
    for (const v of ['put-under-lock', 'put-object-uaf'] as const) runs.set(v, variantRun(v));
    browser = await chromium.launch({ executablePath: executablePath!, args: ['--no-sandbox', '--disable-gpu'] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    cleanup();
  });

  /** A page that records script errors and any request that is not for a local file. */
  async function open(path: string): Promise<{ page: Page; problems: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
    });
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) problems.push(`network request: ${r.url()}`);
    });
    await page.goto(pathToFileURL(path).href);
    await page.waitForSelector('body[data-ready="1"]', { timeout: 10_000 });
    return { page, problems };
  }

  it.each(['put-under-lock', 'put-object-uaf'])('%s: swimlanes and the failing step render', async (variant) => {
    const r = runs.get(variant)!;
    const { n, doc } = r.docs[0]!;
    const s = subjectOf(doc);
    const lanes = buildTimeline(s.trace, s.violation).lanes;
    const { page, problems } = await open(join(r.dir, 'violations', `${n}.html`));

    const laneBoxes = await page.locator('#timeline rect.lane-bg').evaluateAll((els) =>
      els.map((e) => {
        const b = (e as SVGGraphicsElement).getBBox();
        return { lane: e.getAttribute('data-lane'), width: b.width, height: b.height };
      }),
    );
    expect(laneBoxes.map((b) => b.lane)).toEqual(lanes.map((l) => l.name));
    for (const b of laneBoxes) expect(b.width * b.height).toBeGreaterThan(0);
    const ops = await page.locator('#timeline rect.op').count();
    expect(ops).toBeGreaterThan(0);
    const opWidths = await page.locator('#timeline rect.op').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().width));
    expect(Math.min(...opWidths)).toBeGreaterThan(0);

    // The failing step: marked, on the failing thread's lane, scrolled into view.
    const marker = page.locator('#fail-marker');
    await expect.poll(() => marker.isVisible()).toBe(true);
    const m = (await marker.boundingBox())!;
    const viewport = page.viewportSize()!;
    const scroll = (await page.locator('.swim .scroll').boundingBox())!;
    expect(m.x).toBeGreaterThanOrEqual(scroll.x);
    expect(m.x + m.width).toBeLessThanOrEqual(Math.min(scroll.x + scroll.width, viewport.width) + 2);
    const failLane = laneBoxes.findIndex((b) => b.lane === s.violation.threadName);
    const laneRect = await page.locator('#timeline rect.lane-bg').nth(failLane).boundingBox();
    expect(m.y).toBeGreaterThanOrEqual(laneRect!.y - 1);
    expect(m.y + m.height).toBeLessThanOrEqual(laneRect!.y + laneRect!.height + 1);
    await expect.poll(() => page.locator('.labels text.failing').textContent()).toContain(s.violation.threadName);

    // The inspector starts on the failing step; a click on an operation bar moves it there.
    expect(await page.locator('#inspector').getAttribute('data-step')).toBe(String(s.violation.step));
    expect(await page.locator('#inspector').textContent()).toContain('(failing step)');
    // The violation itself, on the failing thread (a failing step may have no trace event).
    expect(await page.locator('#inspector .ev.failing').textContent()).toBe(`${s.violation.threadName}${violationHeader(s.violation)}: ${headline(s.violation.message)}`);
    const bar = page.locator('#timeline rect.op.ok').last();
    const start = Number(await bar.getAttribute('data-start'));
    const box = (await bar.boundingBox())!;
    await page.mouse.click(box.x + 2, box.y + box.height / 2);
    expect(await page.locator('#inspector').getAttribute('data-step')).toBe(String(start));
    expect(await page.locator('#inspector').textContent()).toContain(`step ${start}`);
    await page.mouse.click(m.x + m.width / 2, m.y + m.height / 2);
    expect(await page.locator('#inspector').getAttribute('data-step')).toBe(String(s.violation.step));

    expect(await page.locator('#state-section table.objects tbody tr').count()).toBeGreaterThan(0);
    expect(await page.locator('#replay').textContent()).toBe(doc.replay);
    await page.screenshot({ path: join(ARTIFACTS, `report-${variant}.png`), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('the index links each violation report', async () => {
    const r = runs.get('put-under-lock')!;
    const { page, problems } = await open(join(r.dir, 'index.html'));
    expect(await page.locator('table.coverage tbody tr').count()).toBe(4);
    expect(await page.locator('table.outcomes tbody tr').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(ARTIFACTS, 'report-index.png'), fullPage: true });
    await page.locator('table.violations a', { hasText: r.docs[0]!.n }).click();
    await page.waitForSelector('body[data-ready="1"]');
    expect(page.url()).toBe(pathToFileURL(join(r.dir, 'violations', `${r.docs[0]!.n}.html`)).href);
    expect(await page.locator('#fail-marker').count()).toBe(1);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('Mermaid parses and draws the sequence diagrams', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.setContent('<!DOCTYPE html><html><body><div id="out"></div></body></html>');
    await page.addScriptTag({ path: join(ROOT, 'node_modules/mermaid/dist/mermaid.min.js') });
    for (const [variant, r] of runs) {
      const text = readFileSync(join(r.dir, 'violations', `${r.docs[0]!.n}.mmd`), 'utf8');
      const result = await page.evaluate(async (src) => {
        const mermaid = (globalThis as unknown as { mermaid: { initialize(c: object): void; render(id: string, t: string): Promise<{ svg: string }> } }).mermaid;
        mermaid.initialize({ startOnLoad: false, securityLevel: 'strict', sequence: { useMaxWidth: false } });
        try {
          const { svg } = await mermaid.render('d' + Math.floor(performance.now()), src);
          document.getElementById('out')!.innerHTML = svg;
          return { ok: true, svg: svg.length, actors: document.querySelectorAll('#out .actor').length };
        } catch (e) {
          return { ok: false, error: String(e) };
        }
      }, text);
      expect(result, variant).toMatchObject({ ok: true });
      expect((result as { actors: number }).actors, variant).toBeGreaterThan(0);
      if (variant === 'put-under-lock') await page.screenshot({ path: join(ARTIFACTS, 'report-mermaid.png'), clip: { x: 0, y: 0, width: 1400, height: 1000 } });
    }
    await page.close();
  });
});
