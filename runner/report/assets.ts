// The pages' inline stylesheet and script. Reports are opened from disk, mailed and archived, so
// nothing is fetched: everything a page needs is in it.

export const PAGE_CSS = `
:root { --fg: #1d1f21; --muted: #666; --line: #d0d4d9; --bg2: #f5f6f8; --red: #c62828; --redbg: #fde7e7; --ok: #5b9a68; --err: #d9822b; --skip: #b0b4b9; --open: #78909c; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); margin: 0 auto; padding: 16px 24px 48px; max-width: 1500px; }
h1 { font-size: 20px; margin: 0 0 4px; }
h1 .kind { color: var(--red); }
h2 { font-size: 16px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 14px; margin: 16px 0 6px; }
code, pre, .mono { font: 12px/1.4 ui-monospace, "DejaVu Sans Mono", Menlo, monospace; }
pre { background: var(--bg2); padding: 8px 10px; overflow-x: auto; margin: 6px 0; }
.headline { font-size: 15px; margin: 4px 0 10px; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 8px 0; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; }
.cmd { display: block; background: #1d1f21; color: #f0f0f0; padding: 8px 10px; margin: 4px 0; white-space: pre-wrap; word-break: break-all; }
.warn { background: #fff4d6; border-left: 4px solid #e0a800; padding: 6px 10px; margin: 8px 0; }
table { border-collapse: collapse; margin: 6px 0; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 2px 8px; text-align: left; vertical-align: top; }
th { background: var(--bg2); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.chg { background: #fff1b8; font-weight: 600; }
td.freed, tr.freed td { color: #999; }
td.refused, tr.cycle td { background: var(--redbg); color: var(--red); font-weight: 600; }
td.taken { background: #e3f2e6; }
td.dim { color: #bbb; }
tr.fail td { background: var(--redbg); }
.two { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 0 24px; }
nav.links a { margin-right: 14px; }
.swim { display: flex; border: 1px solid var(--line); margin: 8px 0; }
.swim .labels { flex: none; background: var(--bg2); border-right: 1px solid var(--line); }
.swim .scroll { overflow-x: auto; flex: 1; }
#timeline { display: block; cursor: crosshair; }
#timeline text, .labels text { font: 10px ui-monospace, "DejaVu Sans Mono", monospace; }
.labels text.failing { fill: var(--red); font-weight: bold; }
rect.lane-bg { fill: #fff; }
rect.lane-bg.alt { fill: #fafbfc; }
rect.op { stroke: #fff; stroke-width: 0.5; }
rect.op.ok { fill: var(--ok); }
rect.op.err { fill: var(--err); }
rect.op.skip { fill: var(--skip); }
rect.op.open { fill: var(--open); }
rect.op.open.failing { fill: var(--red); }
text.op-label { fill: #fff; pointer-events: none; }
rect.lock { stroke: rgba(0,0,0,.25); stroke-width: 0.5; }
rect.lock.read { opacity: .55; }
path.mark { stroke: none; }
path.mark.refcount { fill: #1565c0; }
path.mark.machine { fill: #6a1b9a; }
path.mark.fault { fill: #ef6c00; }
path.mark.free { fill: #000; }
rect.fail-col { fill: var(--red); opacity: .14; pointer-events: none; }
rect.fail-cell { fill: none; stroke: var(--red); stroke-width: 2; pointer-events: none; }
text.fail-label { fill: var(--red); font-weight: bold; }
rect.cursor { fill: #1565c0; opacity: .12; pointer-events: none; }
line.tick { stroke: #e3e5e8; }
text.tick { fill: var(--muted); }
.legend { display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: 12px; color: var(--muted); margin: 4px 0; }
.legend .sw { display: inline-block; width: 12px; height: 10px; margin-right: 4px; vertical-align: -1px; border: 1px solid rgba(0,0,0,.2); }
#inspector { border: 1px solid var(--line); padding: 6px 10px; margin: 8px 0; min-height: 3em; }
#inspector .ev { white-space: pre-wrap; }
#inspector .ev.failing { color: var(--red); font-weight: bold; }
#inspector .lane { display: inline-block; min-width: 6em; color: var(--muted); }
.chain { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; margin: 8px 0; }
.chain .cls { border: 2px solid var(--red); border-radius: 4px; padding: 2px 8px; font: 12px ui-monospace, monospace; }
.chain .arrow { color: var(--red); font-size: 12px; text-align: center; }
details > summary { cursor: pointer; color: #1565c0; margin: 6px 0; }
.bar { display: inline-block; height: 10px; background: var(--ok); vertical-align: middle; }
.barbox { display: inline-block; width: 120px; height: 10px; background: #e8e8e8; vertical-align: middle; margin-right: 6px; }
`;

/**
 * The step inspector: a click on the timeline lists that step's trace events; on load the
 * timeline scrolls to the failing step and the inspector shows it. Sets body[data-ready] when
 * done, which the browser test waits for.
 */
export const PAGE_SCRIPT = `
(function () {
  var data = document.getElementById('trace-data');
  var svg = document.getElementById('timeline');
  if (data && svg) {
    var d = JSON.parse(data.textContent);
    var s0 = Number(svg.getAttribute('data-s0')), px = Number(svg.getAttribute('data-px')), x0 = Number(svg.getAttribute('data-x0'));
    var insp = document.getElementById('inspector');
    var cursor = document.getElementById('cursor');
    var show = function (step) {
      var rows = d.events.filter(function (e) { return e[0] === step; });
      var fail = step === d.fail;
      insp.innerHTML = '<b>step ' + step + '</b>' + (fail ? ' <b style="color:#c62828">(failing step)</b>' : '') + (rows.length || fail ? '' : ' <i>no trace events</i>');
      var line = function (laneIndex, text, cls) {
        var div = document.createElement('div');
        div.className = cls;
        var lane = document.createElement('span');
        lane.className = 'lane';
        lane.textContent = d.lanes[laneIndex];
        div.appendChild(lane);
        div.appendChild(document.createTextNode(text));
        insp.appendChild(div);
      };
      rows.forEach(function (e) { line(e[1], e[2], 'ev mono'); });
      // The violation ends the failing step; it is not a trace event, so say it here.
      if (fail) line(d.failLane, d.failText, 'ev mono failing');
      insp.setAttribute('data-step', String(step));
      if (cursor) { cursor.setAttribute('x', String(x0 + (step - s0) * px)); cursor.setAttribute('visibility', 'visible'); }
    };
    svg.addEventListener('click', function (ev) {
      var r = svg.getBoundingClientRect();
      var step = s0 + Math.floor((ev.clientX - r.left - x0) / px);
      if (step >= s0) show(step);
    });
    var scroll = svg.parentNode;
    scroll.scrollLeft = Math.max(0, x0 + (d.fail - s0) * px - scroll.clientWidth * 0.75);
    show(d.fail);
  }
  document.body.setAttribute('data-ready', '1');
})();
`;
