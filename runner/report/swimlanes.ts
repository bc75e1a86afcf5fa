// The timeline as SVG swimlanes: a lane per thread on a step axis, operations as bars (coloured
// by result), lock holds as thinner bars under them (coloured by lock class), marks for refcount
// changes, machine transitions, faults and kfree, and the failing step in red.
import { esc, scriptJson } from './html.js';
import type { Timeline } from './timeline.js';

/** Timelines past this many steps show the last ones only (a livelock runs to the step bound). */
export const MAX_STEPS_SHOWN = 2000;

const LABEL_W = 120;
const AXIS_H = 26;
const OP_H = 16;
const LOCK_H = 9;
const MARK_H = 9;
const PAD = 5;
const PALETTE = ['#4e79a7', '#f28e2b', '#76b7b2', '#e15759', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

export interface LaneGeometry {
  top: number;
  height: number;
  lockRows: number;
}

/** Lock classes (families) in first-use order, each with its colour. */
export function lockColours(t: Timeline): Map<string, string> {
  const m = new Map<string, string>();
  for (const h of t.locks) if (!m.has(h.family)) m.set(h.family, PALETTE[m.size % PALETTE.length]!);
  return m;
}

function tickEvery(px: number): number {
  for (const k of [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000]) if (k * px >= 48) return k;
  return 10000;
}

function bar(cls: string, x: number, y: number, w: number, h: number, title: string, extra = ''): string {
  return `<rect class="${cls}" x="${x}" y="${y}" width="${w}" height="${h}"${extra}><title>${esc(title)}</title></rect>`;
}

export function swimlanes(t: Timeline): { html: string; shownFrom: number } {
  const s1 = t.lastStep;
  const s0 = Math.max(t.firstStep, s1 - MAX_STEPS_SHOWN + 1);
  const n = s1 - s0 + 1;
  const px = Math.max(4, Math.min(16, Math.floor(1600 / n)));
  const x0 = 4;
  const x = (step: number) => x0 + (Math.max(step, s0) - s0) * px;
  const width = x0 + n * px + 40;
  const visible = (a: { end: number }) => a.end >= s0;

  const rows = t.lanes.map(() => 1);
  for (const h of t.locks) rows[h.lane] = Math.max(rows[h.lane]!, h.row + 1);
  const geo: LaneGeometry[] = [];
  let y = AXIS_H;
  for (const r of rows) {
    const height = PAD + OP_H + 3 + r * LOCK_H + 3 + MARK_H + PAD;
    geo.push({ top: y, height, lockRows: r });
    y += height;
  }
  const height = y + 2;
  const colours = lockColours(t);
  const out: string[] = [];

  // Lane backgrounds, then the axis, so the grid lines sit on top of the backgrounds.
  t.lanes.forEach((l, i) => out.push(`<rect class="lane-bg${i % 2 ? ' alt' : ''}" data-lane="${esc(l.name)}" x="0" y="${geo[i]!.top}" width="${width}" height="${geo[i]!.height}"/>`));
  const every = tickEvery(px);
  for (let s = Math.ceil(s0 / every) * every; s <= s1; s += every) {
    out.push(`<line class="tick" x1="${x(s)}" y1="${AXIS_H - 6}" x2="${x(s)}" y2="${height}"/>`);
    out.push(`<text class="tick" x="${x(s) + 2}" y="${AXIS_H - 9}">${s}</text>`);
  }
  for (const o of t.ops.filter(visible)) {
    const g = geo[o.lane]!;
    // Only the failing thread's unfinished operation is red: the others were merely preempted.
    const cls = o.result === null ? (o.lane === t.failLane ? 'open failing' : 'open') : o.result === 'ok' ? 'ok' : o.result === 'skipped' ? 'skip' : 'err';
    const bx = x(o.start);
    const bw = (o.end - Math.max(o.start, s0) + 1) * px;
    const by = g.top + PAD;
    out.push(bar(`op ${cls}`, bx, by, bw, OP_H, `${o.op} = ${o.result ?? 'unfinished'} (steps ${o.start}-${o.end})`, ` data-start="${o.start}" data-end="${o.end}"`));
    const label = o.result && o.result !== 'ok' ? `${o.op} = ${o.result}` : o.op;
    if (bw >= 60) {
      const chars = Math.floor((bw - 6) / 6);
      const text = label.length > chars ? label.slice(0, Math.max(0, chars - 1)) + '…' : label;
      out.push(`<text class="op-label" x="${bx + 3}" y="${by + OP_H - 4}">${esc(text)}</text>`);
    }
  }
  for (const h of t.locks.filter(visible)) {
    const g = geo[h.lane]!;
    const by = g.top + PAD + OP_H + 3 + h.row * LOCK_H;
    const title = `${h.lock} (${h.trylock ? `${h.mode} trylock` : h.mode}) steps ${h.start}-${h.endIndex === null ? `${h.end}, still held` : h.end}`;
    out.push(
      bar(`lock ${h.mode}`, x(h.start), by, (h.end - Math.max(h.start, s0) + 1) * px, LOCK_H - 1, title, ` fill="${colours.get(h.family)}" data-lock="${esc(h.lock)}"`),
    );
  }
  for (const m of t.marks) {
    if (m.step < s0) continue;
    const g = geo[m.lane]!;
    const cx = x(m.step) + px / 2;
    const cy = g.top + g.height - PAD - MARK_H / 2;
    const r = Math.min(4, px / 2);
    out.push(`<path class="mark ${m.kind}" d="M${cx} ${cy - r}L${cx + r} ${cy}L${cx} ${cy + r}L${cx - r} ${cy}Z"><title>${esc(`step ${m.step}: ${m.text}`)}</title></path>`);
  }
  const fx = x(t.failStep);
  const fg = geo[t.failLane]!;
  out.push(`<rect id="fail-step" class="fail-col" x="${fx}" y="${AXIS_H - 6}" width="${px}" height="${height - AXIS_H + 6}"/>`);
  out.push(`<rect id="fail-marker" class="fail-cell" x="${fx - 1}" y="${fg.top + 1}" width="${px + 2}" height="${fg.height - 2}"/>`);
  out.push(`<text class="fail-label" x="${fx + px + 3}" y="${AXIS_H - 9}">✖ step ${t.failStep}</text>`);
  out.push(`<rect id="cursor" class="cursor" x="${fx}" y="${AXIS_H - 6}" width="${px}" height="${height - AXIS_H + 6}" visibility="hidden"/>`);

  const labels = t.lanes.map((l, i) => {
    const g = geo[i]!;
    return `<text class="${l.failing ? 'failing' : ''}" x="6" y="${g.top + PAD + OP_H - 4}">${esc(l.name)}${l.failing ? ' ✖' : ''}</text>`;
  });
  const data = {
    lanes: t.lanes.map((l) => l.name),
    fail: t.failStep,
    failLane: t.failLane,
    failText: t.failText,
    events: t.events.filter((e) => e.step >= s0).map((e) => [e.step, t.lanes.findIndex((l) => l.name === e.name), e.text]),
  };
  const legend = [
    `<span><span class="sw" style="background:var(--ok)"></span>operation ok</span>`,
    `<span><span class="sw" style="background:var(--err)"></span>errno</span>`,
    `<span><span class="sw" style="background:var(--skip)"></span>skipped</span>`,
    `<span><span class="sw" style="background:var(--open)"></span>not returned (preempted)</span>`,
    `<span><span class="sw" style="background:var(--red)"></span>failing operation</span>`,
    ...[...colours].map(([f, c]) => `<span><span class="sw" style="background:${c}"></span>${esc(f)}</span>`),
    `<span>◆ <span style="color:#1565c0">refcount</span> <span style="color:#6a1b9a">machine</span> <span style="color:#ef6c00">fault</span> kfree</span>`,
  ];
  const html = `<div class="swim">
<svg class="labels" width="${LABEL_W}" height="${height}" role="img" aria-label="threads"><text x="6" y="${AXIS_H - 9}">thread / step</text>${labels.join('')}</svg>
<div class="scroll"><svg id="timeline" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" data-s0="${s0}" data-px="${px}" data-x0="${x0}" data-lanes="${t.lanes.length}" role="img" aria-label="swimlanes">
${out.join('\n')}
</svg></div>
</div>
<div class="legend">${legend.join('')}</div>
<div id="inspector" aria-live="polite"></div>
<script type="application/json" id="trace-data">${scriptJson(data)}</script>`;
  return { html, shownFrom: s0 };
}
