// The timeline of a workflow as plain data: one lane per entry (a task or a human step), lanes
// grouped in rows by iteration and column (the entry's place in the workflow: its enclosing
// groups and its name), each bar from queued to started to ended. A viewport maps time to pixels
// and back, zooms and pans, and finds the bar under the pointer. No DOM: the JupyterLab view
// and `pql report` draw from the same model.
import { ENTRY_STATES, type EntryState } from '../../core/states.js';
import { FAMILY_OF_STATE, type StateFamily } from '../graph/legend.js';

/** The fields of an entry the timeline reads (the bridge's node, or one from a store). */
export interface ITimelineNode {
  id: number;
  kind: string;
  name: string;
  state: EntryState;
  index?: number[];
  iteration?: number[];
  groupId?: number | null;
  templateId?: number;
  jobId?: string | null;
  attempt?: number;
  createdAt?: number | null;
  queuedAt?: number | null;
  startedAt?: number | null;
  endedAt?: number | null;
}

export interface ITimelineBar {
  entryId: number;
  name: string;
  state: EntryState;
  family: StateFamily;
  /** The lane (0 at the top), one per entry. */
  lane: number;
  /** Row the lane belongs to (index in `rows`). */
  row: number;
  index: number[];
  jobId: string | null;
  attempt: number;
  /** Handed to the executor (the scheduler's queue wait runs from here to `started`). */
  queued: number | null;
  started: number | null;
  /** Null while it runs (the bar reaches `now`) or when it never ran. */
  ended: number | null;
}

export interface ITimelineRow {
  key: string;
  label: string;
  firstLane: number;
  lanes: number;
}

export interface ITimelineModel {
  rows: ITimelineRow[];
  /** By lane: bars[i].lane === i. */
  bars: ITimelineBar[];
  /** Earliest queue time and latest end (or `now` while something runs), in ms. */
  start: number;
  end: number;
  /** The time running bars reach. */
  now: number;
}

/** Entries that run (or wait for a person): placeholders only organise and get no bar. */
const HAS_BAR = new Set(['task', 'manual']);

/**
 * The timeline of a workflow's nodes. `nodes` may include placeholders: they name the groups
 * an entry belongs to (its row label) but get no lane.
 */
export function buildTimeline(nodes: readonly ITimelineNode[], now: number): ITimelineModel {
  const byId = new Map<number, ITimelineNode>();
  for (const n of nodes) {
    byId.set(n.id, n);
  }
  const rowsByKey = new Map<
    string,
    { key: string; label: string; order: (number | string)[]; entries: ITimelineNode[] }
  >();
  for (const n of nodes) {
    if (!HAS_BAR.has(n.kind)) {
      continue;
    }
    const { path, outermost } = groupPath(n, byId);
    const iteration = n.iteration ?? [];
    const key = `${iteration.join('.')}|${path.join('/')}|${n.name}`;
    let row = rowsByKey.get(key);
    if (!row) {
      const label = [...path, n.name].join(' › ') + (iteration.length ? `  (iteration ${iteration.join('.')})` : '');
      // Rows in the order of the workflow's columns; a loop's iterations where the loop is.
      row = { key, label, order: [outermost ?? n.templateId ?? 0, ...iteration, n.templateId ?? 0, n.id], entries: [] };
      rowsByKey.set(key, row);
    }
    row.entries.push(n);
  }
  const sortedRows = [...rowsByKey.values()].sort((a, b) => compareLists(a.order, b.order));
  const rows: ITimelineRow[] = [];
  const bars: ITimelineBar[] = [];
  for (const row of sortedRows) {
    row.entries.sort((a, b) => compareLists(a.index ?? [], b.index ?? []) || a.id - b.id);
    rows.push({ key: row.key, label: row.label, firstLane: bars.length, lanes: row.entries.length });
    for (const n of row.entries) {
      const bar: ITimelineBar = {
        entryId: n.id,
        name: n.name,
        state: n.state,
        family: 'waiting',
        lane: bars.length,
        row: rows.length - 1,
        index: n.index ?? [],
        jobId: null,
        attempt: 0,
        queued: null,
        started: null,
        ended: null
      };
      setBarFields(bar, n);
      bars.push(bar);
    }
  }
  return { rows, bars, ...spanOf(bars, now), now };
}

/** A bar's state and times from its entry. */
function setBarFields(bar: ITimelineBar, n: ITimelineNode): void {
  const started = n.startedAt ?? null;
  // A human step has no queue: it waits for its person from when it became ready.
  const queued = n.queuedAt ?? (started !== null ? started : null);
  const ended = n.endedAt ?? null;
  bar.state = n.state;
  bar.family = FAMILY_OF_STATE[n.state] ?? 'waiting';
  bar.jobId = n.jobId ?? null;
  bar.attempt = n.attempt ?? 0;
  bar.queued = queued;
  bar.started = started;
  bar.ended = ended !== null && (queued === null || ended >= queued) ? ended : null;
}

/** Earliest queue time and latest end of the bars (`now` for those still queued or running). */
function spanOf(bars: readonly ITimelineBar[], now: number): { start: number; end: number } {
  let start = Infinity;
  let end = -Infinity;
  for (const bar of bars) {
    if (bar.queued !== null) {
      start = Math.min(start, bar.queued);
      end = Math.max(end, barEnd(bar, now) ?? bar.queued);
    } else if (bar.ended !== null) {
      // Ended without a queue time: cancelled or skipped before it ran. A point in time.
      start = Math.min(start, bar.ended);
      end = Math.max(end, bar.ended);
    }
  }
  if (!Number.isFinite(start)) {
    start = now;
    end = now;
  }
  if (end <= start) {
    end = start + 1000;
  }
  return { start, end };
}

/** Whether two versions of an entry sit in the same lane and row (the graph asks the same). */
export { samePlace } from '../snapshots.js';

/** Lane of each entry with a bar. */
export function lanesById(model: ITimelineModel): Map<number, number> {
  return new Map(model.bars.map(bar => [bar.entryId, bar.lane]));
}

/**
 * Brings the bars of changed entries up to date in place (state, times, job, attempt) and the
 * span with them, so that a live event costs its own bars rather than a new build of every lane.
 * The caller has checked with `samePlace` that none moved. False when an entry that needs a bar
 * has none: the timeline must then be built again. Placeholders (no bar) are passed over.
 */
export function updateBars(
  model: ITimelineModel,
  laneOf: ReadonlyMap<number, number>,
  changed: readonly ITimelineNode[],
  now: number
): boolean {
  for (const n of changed) {
    if (!HAS_BAR.has(n.kind)) {
      continue;
    }
    const lane = laneOf.get(n.id);
    if (lane === undefined || model.bars[lane]?.entryId !== n.id) {
      return false;
    }
  }
  for (const n of changed) {
    const lane = laneOf.get(n.id);
    if (lane !== undefined && HAS_BAR.has(n.kind)) {
      setBarFields(model.bars[lane], n);
    }
  }
  retime(model, now);
  return true;
}

/** Moves `now` (running bars grow to it) and the span with it; the bars stay as they are. */
export function retime(model: ITimelineModel, now: number): void {
  model.now = now;
  const { start, end } = spanOf(model.bars, now);
  model.start = start;
  model.end = end;
}

/** Times a live event told of an entry, before a snapshot brings them (see withSeenTimes). */
export interface ISeenTimes {
  queuedAt?: number;
  startedAt?: number;
  endedAt?: number;
}

/** Records what an event (its state and time) says of an entry's times; false when it says nothing. */
export function noteEventTime(seen: ISeenTimes, state: string | null | undefined, at: number): boolean {
  if (state === 'queued') {
    seen.queuedAt = at;
    delete seen.startedAt;
    delete seen.endedAt;
  } else if (state === 'running') {
    seen.startedAt = at;
  } else if (state && state !== 'waiting' && state !== 'awaiting_input') {
    seen.endedAt = at;
  } else {
    return false;
  }
  return true;
}

/**
 * An entry with the times its events told filled in: the snapshot's times win once it has
 * them, except that a newer queue time (a retry) replaces the former run's times.
 */
export function withSeenTimes(node: ITimelineNode, seen: ISeenTimes | undefined): ITimelineNode {
  if (!seen) {
    return node;
  }
  const requeued = seen.queuedAt !== undefined && (node.queuedAt ?? 0) < seen.queuedAt;
  return {
    ...node,
    queuedAt: requeued ? seen.queuedAt : (node.queuedAt ?? seen.queuedAt ?? null),
    startedAt: requeued ? (seen.startedAt ?? null) : (node.startedAt ?? seen.startedAt ?? null),
    endedAt: requeued ? (seen.endedAt ?? null) : (node.endedAt ?? seen.endedAt ?? null)
  };
}

/** Where a bar ends: its end, `now` while it is queued or runs, null when it never began. */
export function barEnd(bar: ITimelineBar, now: number): number | null {
  if (bar.ended !== null) {
    return bar.ended;
  }
  if (bar.queued === null) {
    return null;
  }
  return bar.state === 'queued' || bar.state === 'running' || bar.state === 'awaiting_input'
    ? Math.max(now, bar.queued)
    : (bar.started ?? bar.queued);
}

/** How long a bar waited in the scheduler's queue and ran (ms; null when not known). */
export function durations(bar: ITimelineBar, now: number): { wait: number | null; run: number | null } {
  const endAt = barEnd(bar, now);
  const wait = bar.queued !== null ? (bar.started ?? endAt ?? bar.queued) - bar.queued : null;
  const run = bar.started !== null && endAt !== null ? endAt - bar.started : null;
  return { wait, run };
}

/** How many entries are in each state, in the engine's order of states (states with none left out). */
export function stateFunnel(nodes: readonly ITimelineNode[]): { state: EntryState; count: number }[] {
  const counts = new Map<EntryState, number>();
  for (const n of nodes) {
    if (HAS_BAR.has(n.kind)) {
      counts.set(n.state, (counts.get(n.state) ?? 0) + 1);
    }
  }
  return ENTRY_STATES.filter(s => counts.has(s)).map(state => ({ state, count: counts.get(state)! }));
}

/** The `limit` bars that ran longest (run time, then queue wait), longest first. */
export function slowestBars(model: ITimelineModel, limit: number): ITimelineBar[] {
  const scored = model.bars
    .map(bar => ({ bar, d: durations(bar, model.now) }))
    .filter(({ d }) => d.run !== null || d.wait !== null)
    .sort(
      (a, b) =>
        (b.d.run ?? -1) - (a.d.run ?? -1) || (b.d.wait ?? -1) - (a.d.wait ?? -1) || a.bar.entryId - b.bar.entryId
    );
  return scored.slice(0, limit).map(({ bar }) => bar);
}

/** The names of the groups around an entry, outermost first, with its place in each (#index). */
function groupPath(n: ITimelineNode, byId: Map<number, ITimelineNode>): { path: string[]; outermost: number | null } {
  const path: string[] = [];
  let outermost: number | null = null;
  const seen = new Set<number>();
  let group = n.groupId ?? null;
  while (group !== null && !seen.has(group)) {
    seen.add(group);
    const g = byId.get(group);
    if (!g) {
      break;
    }
    path.unshift(g.name);
    outermost = g.templateId ?? outermost;
    group = g.groupId ?? null;
  }
  return { path, outermost };
}

function compareLists(a: readonly (number | string)[], b: readonly (number | string)[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) {
      return a[i] < b[i] ? -1 : 1;
    }
  }
  return a.length - b.length;
}

// --- The viewport: which time span and which lanes are on screen. ---

export interface IViewport {
  /** Visible time span (ms). */
  t0: number;
  t1: number;
  /** Pixels: the width of the whole drawing, the row-label column at its left, the time axis on top. */
  width: number;
  labelWidth: number;
  axisHeight: number;
  laneHeight: number;
  /** Lanes scrolled past (pixels). */
  scrollTop: number;
}

/** The smallest span a zoom reaches (ms): a millisecond-wide bar is then a few pixels. */
const MIN_SPAN = 10;

/** A viewport that shows the whole model, with a little room either side. */
export function fitViewport(model: ITimelineModel, base: Omit<IViewport, 't0' | 't1'>): IViewport {
  const pad = (model.end - model.start) * 0.02;
  return { ...base, t0: model.start - pad, t1: model.end + pad };
}

export function timeToX(v: IViewport, t: number): number {
  return v.labelWidth + ((t - v.t0) / (v.t1 - v.t0)) * (v.width - v.labelWidth);
}

export function xToTime(v: IViewport, x: number): number {
  return v.t0 + ((x - v.labelWidth) / (v.width - v.labelWidth)) * (v.t1 - v.t0);
}

/** Zooms by `factor` (> 1 zooms in) keeping the time under `x` in place. */
export function zoomAt(v: IViewport, x: number, factor: number): IViewport {
  const anchor = xToTime(v, Math.min(Math.max(x, v.labelWidth), v.width));
  const span = Math.max((v.t1 - v.t0) / factor, MIN_SPAN);
  const left = (anchor - v.t0) / (v.t1 - v.t0);
  return { ...v, t0: anchor - left * span, t1: anchor - left * span + span };
}

/** Moves the visible span by `dx` pixels (dragging right shows earlier times). */
export function panBy(v: IViewport, dx: number): IViewport {
  const dt = (dx / (v.width - v.labelWidth)) * (v.t1 - v.t0);
  return { ...v, t0: v.t0 - dt, t1: v.t1 - dt };
}

/** The lanes at least partly visible in a drawing `height` pixels tall: [first, last). */
export function visibleLanes(v: IViewport, height: number, laneCount: number): [number, number] {
  const first = Math.max(0, Math.floor(v.scrollTop / v.laneHeight));
  const last = Math.min(laneCount, Math.ceil((v.scrollTop + height - v.axisHeight) / v.laneHeight));
  return [first, Math.max(first, last)];
}

/** Top of a lane in the drawing (pixels). */
export function laneY(v: IViewport, lane: number): number {
  return v.axisHeight + lane * v.laneHeight - v.scrollTop;
}

/** The bar's extent in pixels, at least `minWidth` wide so that a short run can be seen and hit. */
export function barPixels(
  v: IViewport,
  bar: ITimelineBar,
  now: number,
  minWidth = 2
): { x0: number; xStart: number; x1: number } | null {
  const endAt = barEnd(bar, now);
  const from = bar.queued ?? bar.ended;
  if (from === null) {
    return null;
  }
  const x0 = timeToX(v, from);
  const xStart =
    bar.started !== null
      ? timeToX(v, bar.started)
      : endAt !== null && bar.state !== 'queued'
        ? timeToX(v, endAt)
        : timeToX(v, endAt ?? from);
  const x1 = Math.max(timeToX(v, endAt ?? from), x0 + minWidth);
  return { x0, xStart: Math.min(Math.max(xStart, x0), x1), x1 };
}

/** The bar under a point of the drawing, or null (the label column and the axis hold none). */
export function hitTest(model: ITimelineModel, v: IViewport, x: number, y: number, slop = 2): ITimelineBar | null {
  if (x < v.labelWidth || y < v.axisHeight) {
    return null;
  }
  const lane = Math.floor((y - v.axisHeight + v.scrollTop) / v.laneHeight);
  const bar = model.bars[lane];
  if (!bar) {
    return null;
  }
  const px = barPixels(v, bar, model.now);
  return px && x >= px.x0 - slop && x <= px.x1 + slop ? bar : null;
}

/** The row a lane is in (binary search over the rows' first lanes). */
export function rowOfLane(model: ITimelineModel, lane: number): ITimelineRow | null {
  let lo = 0;
  let hi = model.rows.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const row = model.rows[mid];
    if (lane < row.firstLane) {
      hi = mid - 1;
    } else if (lane >= row.firstLane + row.lanes) {
      lo = mid + 1;
    } else {
      return row;
    }
  }
  return null;
}

/** Tick marks of the time axis: round steps (1 ms … hours) about `targetPx` apart. */
export function axisTicks(v: IViewport, targetPx = 90): { t: number; step: number }[] {
  const span = v.t1 - v.t0;
  const wanted = (span * targetPx) / Math.max(1, v.width - v.labelWidth);
  const steps = [
    1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 15e3, 3e4, 6e4, 12e4, 3e5, 6e5, 9e5, 18e5, 36e5, 72e5,
    216e5, 432e5, 864e5
  ];
  const step = steps.find(s => s >= wanted) ?? steps[steps.length - 1];
  const ticks: { t: number; step: number }[] = [];
  for (let t = Math.ceil(v.t0 / step) * step; t <= v.t1 && ticks.length < 200; t += step) {
    ticks.push({ t, step });
  }
  return ticks;
}

/** A duration for people: 850 ms, 12.3 s, 4 min 05 s, 2 h 10 min. */
export function formatDuration(ms: number): string {
  if (ms < 1000) {
    return `${Math.round(ms)} ms`;
  }
  if (ms < 60_000) {
    return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  }
  if (ms < 3_600_000) {
    const s = Math.round(ms / 1000);
    return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  }
  const m = Math.round(ms / 60_000);
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** A tick's label, relative to the workflow's start (the axis shows elapsed time). */
export function tickLabel(t: number, origin: number, step: number): string {
  const rel = t - origin;
  if (step < 1000) {
    return `${(rel / 1000).toFixed(step < 10 ? 3 : step < 100 ? 2 : 1)} s`;
  }
  return formatDuration(rel).replace(/\.0+ s$/, ' s');
}
