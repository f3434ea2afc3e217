// `pql report -w WF [-o FILE]`: one standalone HTML file about a workflow, for people who do not
// use JupyterLab: the timeline (the same model as JupyterLab's timeline view), the funnel of
// states and the slowest entries. Everything is inline (CSS, SVG, a little JS to zoom): the file
// needs no network and no server. It reads the project's database read-only.
import { existsSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { workflowState, type EntryState } from '../../../core/states.js';
import { FAMILY_LOOK, FAMILY_OF_STATE, glyphSvg } from '../../../src/graph/legend.js';
import {
  barEnd,
  buildTimeline,
  durations,
  formatDuration,
  slowestBars,
  stateFunnel,
  type ITimelineModel,
  type ITimelineNode
} from '../../../src/timeline/model.js';
import { idArg, openStore, out, projectFor, UsageError, workflowOption, type Command } from '../common.js';

/** How many of the slowest entries the table lists. */
const SLOWEST = 20;

export const report: Command = {
  name: 'report',
  usage: 'report -w WF [-o FILE] [--force]',
  summary: 'write a standalone HTML report of a workflow: timeline, states, slowest entries',
  details: `pql report -w 3                 ./<name>-3-report.html
pql report -w 3 -o run.html     to run.html
The file has no outside references: open it in any browser, mail it, put it on a web page.`,
  options: [
    workflowOption('the workflow to report on'),
    { names: ['-o', '--output'], value: 'FILE', help: 'the file to write (default: <name>-<id>-report.html here)' },
    { names: ['--force'], help: 'replace FILE if it exists' }
  ],
  positionals: [0, 1],
  async run(args) {
    const given = args.opt('workflow') ?? args.positional[1];
    if (given === undefined) throw new UsageError('pql report needs -w WF (the workflow to report on)');
    const id = idArg(given, 'workflow');
    const paths = projectFor(args, false);
    const store = openStore(paths);
    let html: string;
    let name: string;
    let entries: number;
    try {
      const summary = store.workflowSummary(id);
      if (!summary) throw new UsageError(`no workflow ${id} in ${paths.root} ('pql ls' lists them)`);
      name = summary.name;
      const nodes = store.nodesOf(id) as ITimelineNode[];
      const model = buildTimeline(nodes, Date.now());
      entries = model.bars.length;
      html = reportHtml({ id, name, state: workflowState(summary.counts), createdAt: summary.createdAt }, nodes, model);
    } finally {
      store.close();
    }
    const file = resolve(args.opt('output') ?? `${safeName(name)}-${id}-report.html`);
    if (existsSync(file) && !args.flag('force'))
      throw new UsageError(`${file} exists: choose another -o FILE or add --force`);
    if (existsSync(file) && statSync(file).isDirectory())
      throw new UsageError(`${file} is a folder: -o needs a file name`);
    const folder = dirname(file);
    if (!existsSync(folder)) throw new UsageError(`cannot write the report to ${file}: no folder ${folder}`);
    // Written beside and renamed, so a reader never sees half a file.
    const part = `${file}.part`;
    try {
      writeFileSync(part, html);
      renameSync(part, file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new UsageError(
        `cannot write the report to ${file}: ${code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (error as Error).message}`
      );
    }
    out(`wrote the report of workflow ${id} ('${name}', ${entries} entries) to ${file}`);
    return 0;
  }
};

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[.]+/, '') || 'workflow';
}

/** The state colours of JupyterLab's light theme, which the graph and timeline views use there. */
const STATE_COLOR: Record<EntryState, string> = {
  waiting: '#757575',
  queued: '#90caf9',
  running: '#1976d2',
  succeeded: '#388e3c',
  discarded: '#a5d6a7',
  failed: '#d32f2f',
  timed_out: '#e57373',
  cancelled: '#bdbdbd',
  skipped: '#e0e0e0',
  blocked: '#ffa726',
  awaiting_input: '#f57c00'
};

function esc(text: unknown): string {
  return String(text).replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`);
}

function isoTime(ms: number | null | undefined): string {
  return ms
    ? new Date(ms)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z')
    : '';
}

interface IWorkflowFacts {
  id: number;
  name: string;
  state: string;
  createdAt: number;
}

export function reportHtml(wf: IWorkflowFacts, nodes: readonly ITimelineNode[], model: ITimelineModel): string {
  const funnel = stateFunnel(nodes);
  const slowest = slowestBars(model, SLOWEST);
  const title = `${wf.name || 'Workflow'} #${wf.id}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="PerQueue Lab pql report">
<title>${esc(title)}: PerQueue Lab report</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${esc(title)}</h1>
<p class="facts">State <b class="wf-state">${esc(wf.state)}</b> · <span id="entry-count">${model.bars.length}</span> entries in ${model.rows.length} rows ·
created ${esc(isoTime(wf.createdAt))} · span ${esc(formatDuration(model.end - model.start))} · report written ${esc(isoTime(model.now))}</p>
</header>
<section id="funnel"><h2>States</h2>
${funnelHtml(funnel, model.bars.length)}
</section>
<section id="timeline"><h2>Timeline</h2>
<p class="hint">The lighter part of a bar is the wait in the queue, the solid part the run. Scroll the wheel over the bars to zoom, drag to pan, double-click to see all. Hover a bar for its entry.</p>
${legendHtml()}
${timelineSvg(model)}
</section>
<section id="slowest"><h2>Slowest entries</h2>
${slowestHtml(slowest, model)}
</section>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

function funnelHtml(funnel: { state: EntryState; count: number }[], total: number): string {
  if (!funnel.length) return '<p>No entries.</p>';
  const rows = funnel
    .map(({ state, count }) => {
      const family = FAMILY_OF_STATE[state];
      const pct = total ? (count / total) * 100 : 0;
      return (
        `<tr data-state="${state}"><th scope="row"><span class="glyph" title="${esc(FAMILY_LOOK[family].glyphName)}">${glyphSvg(family, '#222')}</span>${esc(state.replace(/_/g, ' '))}</th>` +
        `<td class="count">${count}</td><td class="meter"><span style="width:${pct.toFixed(2)}%;background:${STATE_COLOR[state]}"></span></td></tr>`
      );
    })
    .join('\n');
  return `<table class="funnel"><tbody>\n${rows}\n</tbody></table>`;
}

function legendHtml(): string {
  const items = Object.entries(FAMILY_LOOK)
    .map(
      ([family, look]) =>
        `<span class="legend-item border-${look.border}"><span class="glyph">${glyphSvg(family as keyof typeof FAMILY_LOOK, '#222')}</span>${esc(look.label)}</span>`
    )
    .join(' ');
  return `<p class="legend">${items}</p>`;
}

const LABEL_WIDTH = 220;
const PLOT_WIDTH = 1000;

/** The timeline as SVG: labels on the left, bars in time units (ms since the start) on the right. */
function timelineSvg(model: ITimelineModel): string {
  const lane = model.bars.length > 400 ? 4 : model.bars.length > 100 ? 8 : 16;
  const height = Math.max(lane, model.bars.length * lane);
  const span = model.end - model.start;
  const labels: string[] = [];
  model.rows.forEach((row, i) => {
    const y = row.firstLane * lane;
    if (i % 2) labels.push(`<rect class="band" x="0" y="${y}" width="${LABEL_WIDTH}" height="${row.lanes * lane}"/>`);
    labels.push(
      `<text x="4" y="${y + Math.min(lane, 16) / 2}" dominant-baseline="middle">${esc(row.label)}${row.lanes > 1 ? ` (${row.lanes})` : ''}</text>`
    );
  });
  const bars: string[] = [];
  for (const bar of model.bars) {
    const from = bar.queued ?? bar.ended;
    if (from === null) continue;
    const endAt = barEnd(bar, model.now) ?? from;
    const start = bar.started ?? endAt;
    const { wait, run } = durations(bar, model.now);
    const y = bar.lane * lane + (lane >= 8 ? 1 : 0.5);
    const h = lane >= 8 ? lane - 2 : lane - 1;
    const color = STATE_COLOR[bar.state];
    const tip =
      `${bar.name}${bar.index.length ? ` [${bar.index.join(', ')}]` : ''} #${bar.entryId}: ${bar.state.replace(/_/g, ' ')}` +
      `${wait !== null ? `, queued ${formatDuration(wait)}` : ''}${run !== null ? `, ran ${formatDuration(run)}` : ''}${bar.jobId ? `, job ${bar.jobId}` : ''}`;
    const family = FAMILY_OF_STATE[bar.state];
    bars.push(
      `<g class="bar fam-${family}" data-entry="${bar.entryId}" data-state="${bar.state}"><title>${esc(tip)}</title>` +
        `<rect class="wait" x="${from - model.start}" y="${y}" width="${Math.max(start - from, 0)}" height="${h}" fill="${color}"/>` +
        `<rect class="run border-${FAMILY_LOOK[family].border}" x="${start - model.start}" y="${y}" width="${Math.max(endAt - start, span / 2000)}" height="${h}" fill="${color}"/></g>`
    );
  }
  const ticks: string[] = [];
  for (let i = 0; i <= 10; i++) {
    const x = (i / 10) * PLOT_WIDTH;
    ticks.push(`<span style="left:${x}px">${esc(formatDuration((span * i) / 10))}</span>`);
  }
  return `<div class="timeline" style="--label:${LABEL_WIDTH}px">
<div class="axis" id="axis" data-span="${span}">${ticks.join('')}</div>
<div class="lanes">
<svg class="labels" width="${LABEL_WIDTH}" height="${height}" viewBox="0 0 ${LABEL_WIDTH} ${height}">${labels.join('')}</svg>
<svg class="plot" id="plot" width="${PLOT_WIDTH}" height="${height}" viewBox="0 0 ${span} ${height}" preserveAspectRatio="none" data-span="${span}">
${bars.join('\n')}
</svg>
</div>
</div>`;
}

function slowestHtml(bars: ReturnType<typeof slowestBars>, model: ITimelineModel): string {
  if (!bars.length) return '<p>No entry has run yet.</p>';
  const rows = bars
    .map(bar => {
      const { wait, run } = durations(bar, model.now);
      return (
        `<tr data-entry="${bar.entryId}"><td>${bar.entryId}</td><td>${esc(bar.name)}</td><td>${esc(bar.index.join(', '))}</td>` +
        `<td class="state-cell"><span class="swatch" style="background:${STATE_COLOR[bar.state]}"></span>${esc(bar.state.replace(/_/g, ' '))}</td>` +
        `<td class="num">${run !== null ? esc(formatDuration(run)) : ''}</td><td class="num">${wait !== null ? esc(formatDuration(wait)) : ''}</td>` +
        `<td>${esc(bar.jobId ?? '')}</td><td>${esc(isoTime(bar.started))}</td></tr>`
      );
    })
    .join('\n');
  return (
    '<table class="slowest"><thead><tr><th>Entry</th><th>Task</th><th>Index</th><th>State</th><th>Ran</th><th>Queued</th><th>Job</th><th>Started</th></tr></thead>' +
    `<tbody>\n${rows}\n</tbody></table>`
  );
}

const CSS = `
body { font: 14px/1.4 system-ui, -apple-system, 'Segoe UI', sans-serif; color: #222; margin: 1.5em 2em; }
h1 { font-size: 1.5em; margin: 0 0 .2em; } h2 { font-size: 1.15em; margin: 1.4em 0 .4em; }
.facts, .hint { color: #555; margin: .2em 0; }
table { border-collapse: collapse; }
th, td { padding: 2px 8px; text-align: left; border-bottom: 1px solid #eee; }
.funnel th { font-weight: normal; white-space: nowrap; } .funnel .count, .num { text-align: right; font-variant-numeric: tabular-nums; }
.funnel .meter { width: 320px; } .funnel .meter span { display: block; height: 12px; min-width: 1px; border: 1px solid #0003; }
.glyph svg { width: 14px; height: 14px; vertical-align: -2px; margin-right: 4px; }
.legend-item { display: inline-block; margin-right: 12px; padding: 0 4px; border: 2px #555; }
.border-solid { border-style: solid; } .border-dashed { border-style: dashed; } .border-dotted { border-style: dotted; } .border-double { border-style: double; border-width: 3px; }
.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 4px; border: 1px solid #0003; }
.timeline { position: relative; border: 1px solid #ddd; max-height: 70vh; overflow: auto; }
.axis { position: sticky; top: 0; z-index: 1; height: 20px; margin-left: var(--label); width: ${PLOT_WIDTH}px; background: #fff; border-bottom: 1px solid #ddd; font-size: 11px; color: #555; }
.axis span { position: absolute; top: 2px; white-space: nowrap; border-left: 1px solid #999; padding-left: 2px; }
.lanes { display: flex; } .labels text { font-size: 11px; fill: #222; } .labels .band { fill: #f3f3f3; }
.plot { cursor: grab; background: repeating-linear-gradient(#0000 0 15px, #00000008 15px 16px); }
.plot .wait { opacity: .35; } .plot .bar:hover rect { stroke: #000; stroke-width: 1px; vector-effect: non-scaling-stroke; }
.plot .run.border-dashed { stroke: #222; stroke-dasharray: 4 2; stroke-width: 1px; vector-effect: non-scaling-stroke; }
.plot .run.border-dotted { stroke: #222; stroke-dasharray: 1 2; stroke-width: 1px; vector-effect: non-scaling-stroke; }
.plot .run.border-double { stroke: #222; stroke-width: 2px; vector-effect: non-scaling-stroke; }
`;

// Zoom (wheel) and pan (drag) change the plot's viewBox; the axis labels follow. No libraries.
const SCRIPT = `
(function () {
  var plot = document.getElementById('plot'), axis = document.getElementById('axis');
  if (!plot) return;
  var span = Number(plot.dataset.span), h = plot.viewBox.baseVal.height, x0 = 0, w = span;
  function fmt(ms) { if (ms < 1000) return Math.round(ms) + ' ms'; if (ms < 60000) return (ms / 1000).toFixed(1) + ' s';
    if (ms < 3600000) return Math.floor(ms / 60000) + ' min ' + String(Math.round(ms / 1000) % 60).padStart(2, '0') + ' s';
    return Math.floor(ms / 3600000) + ' h ' + String(Math.round(ms / 60000) % 60).padStart(2, '0') + ' min'; }
  function draw() { plot.setAttribute('viewBox', x0 + ' 0 ' + w + ' ' + h);
    var spans = axis.children; for (var i = 0; i < spans.length; i++) spans[i].textContent = fmt(x0 + (w * i) / (spans.length - 1)); }
  plot.addEventListener('wheel', function (e) { e.preventDefault(); var r = plot.getBoundingClientRect();
    var at = x0 + ((e.clientX - r.left) / r.width) * w, f = Math.exp(e.deltaY / 300);
    w = Math.max(Math.min(w * f, span * 4), 1); x0 = at - ((e.clientX - r.left) / r.width) * w; draw(); }, { passive: false });
  var drag = null;
  plot.addEventListener('pointerdown', function (e) { drag = e.clientX; plot.setPointerCapture(e.pointerId); });
  plot.addEventListener('pointermove', function (e) { if (drag === null) return; var r = plot.getBoundingClientRect();
    x0 -= ((e.clientX - drag) / r.width) * w; drag = e.clientX; draw(); });
  plot.addEventListener('pointerup', function () { drag = null; });
  plot.addEventListener('dblclick', function () { x0 = 0; w = span; draw(); });
})();
`;
