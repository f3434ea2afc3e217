// The timeline of one workflow on a <canvas>: one lane per entry, the scheduler's queue wait as
// the lighter part of a bar and the run as the solid part, coloured by state with the graph's
// theme colours and marked with the state family's border and glyph (the graph legend applies).
// Only the lanes on screen are drawn, so 10,000 entries cost what 100 do. Wheel or drag on the
// time axis (or Ctrl+wheel anywhere) zooms and pans; the view follows the model's live events.
import type { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';

import { ENTRY_STATES } from '../../core/states.js';
import { FAMILY_LOOK, GraphLegend, holdWorkflow, releaseWorkflow, stateColorVar } from '../graph';
import { changedNodes, type INodeChange } from '../snapshots';
import { CommandIDs, IPerQueueModel, PerQueue } from '../tokens';
import { el, onThemeChange } from '../ui';
import { markContextEntry } from '../ui/contextEntry';
import {
  axisTicks,
  barPixels,
  buildTimeline,
  durations,
  fitViewport,
  formatDuration,
  hitTest,
  ITimelineBar,
  ITimelineModel,
  ITimelineNode,
  ISeenTimes,
  IViewport,
  lanesById,
  laneY,
  noteEventTime,
  panBy,
  retime,
  rowOfLane,
  samePlace,
  tickLabel,
  updateBars,
  visibleLanes,
  withSeenTimes,
  zoomAt
} from './model';

export interface ITimelineViewOptions {
  model: IPerQueueModel;
  workflowId: number;
  commands?: CommandRegistry;
}

const AXIS_HEIGHT = 24;
const LABEL_WIDTH = 180;

/** What the next frame does: repaint only, move `now` (bars that run grow), update changed bars, or build anew. */
const Work = { Paint: 0, Tick: 1, Update: 2, Build: 3 } as const;
type Work = (typeof Work)[keyof typeof Work];

export class TimelineView extends Widget {
  constructor(options: ITimelineViewOptions) {
    super();
    this._model = options.model;
    this._commands = options.commands ?? null;
    this.workflowId = options.workflowId;
    this.addClass('jp-PerQueue-timeline');
    this.node.dataset.workflowId = String(options.workflowId);

    const bar = el('div', 'jp-PerQueue-timeline-bar');
    this._summary = el('span', 'jp-PerQueue-timeline-summary', 'Loading…');
    const fit = el('button', 'jp-mod-styled jp-PerQueue-timeline-fit', 'Fit');
    fit.type = 'button';
    fit.title = 'Show the whole workflow';
    fit.addEventListener('click', () => this.fit());
    this._legend = new GraphLegend();
    bar.append(this._summary, fit, this._legend.node);

    this._scroller = el('div', 'jp-PerQueue-timeline-scroller');
    this._spacer = el('div', 'jp-PerQueue-timeline-spacer');
    this._canvas = el('canvas', 'jp-PerQueue-timeline-canvas');
    this._canvas.setAttribute('role', 'img');
    this._canvas.setAttribute('aria-label', `Timeline of workflow #${options.workflowId}`);
    this._tooltip = el('div', 'jp-PerQueue-timeline-tooltip');
    this._tooltip.hidden = true;
    this._tooltip.setAttribute('role', 'tooltip');
    this._scroller.append(this._canvas, this._spacer);
    this.node.append(bar, this._scroller, this._tooltip);

    this._scroller.addEventListener('scroll', () => this._schedule(Work.Paint));
    this._canvas.addEventListener('wheel', this._onWheel, { passive: false });
    this._canvas.addEventListener('pointerdown', this._onPointerDown);
    this._canvas.addEventListener('pointermove', this._onPointerMove);
    this._canvas.addEventListener('pointerleave', () => this._showTooltip(null, 0, 0));
    this._canvas.addEventListener('dblclick', this._onDoubleClick);
    this._canvas.addEventListener('contextmenu', this._onContextMenu);

    holdWorkflow(this._model, this.workflowId);
    this._model.workflowChanged.connect(this._onWorkflowChanged, this);
    this._model.eventReceived.connect(this._onEvent, this);
    this.loaded = this._model.loadWorkflow(this.workflowId).then(
      () => this._schedule(Work.Build),
      error => {
        this._summary.textContent = `Cannot load workflow #${this.workflowId}: ${error?.message ?? error}`;
      }
    );
    if (typeof ResizeObserver !== 'undefined') {
      this._resizeObserver = new ResizeObserver(() => this._schedule(Work.Paint));
      this._resizeObserver.observe(this._scroller);
    }
    this._stopThemeWatch = onThemeChange(() => {
      this._colors = null;
      this._schedule(Work.Paint);
    });
  }

  readonly workflowId: number;
  /** Settles once the first snapshot is in (it is drawn on the next frame). */
  readonly loaded: Promise<void>;

  get timeline(): ITimelineModel | null {
    return this._timeline;
  }

  /** Shows the whole workflow; it then keeps doing so as the workflow grows. */
  fit(): void {
    this._following = true;
    this._viewport = null;
    this._schedule(Work.Paint);
  }

  /** The bar under a point of the page (client coordinates). */
  barAt(clientX: number, clientY: number): ITimelineBar | null {
    if (!this._timeline || !this._viewport) {
      return null;
    }
    const box = this._canvas.getBoundingClientRect();
    return hitTest(this._timeline, this._viewport, clientX - box.left, clientY - box.top);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._model.workflowChanged.disconnect(this._onWorkflowChanged, this);
    this._model.eventReceived.disconnect(this._onEvent, this);
    releaseWorkflow(this._model, this.workflowId);
    this._resizeObserver?.disconnect();
    this._stopThemeWatch();
    if (this._frame !== null) {
      cancelAnimationFrame(this._frame);
    }
    if (this._tick !== null) {
      clearInterval(this._tick);
    }
    super.dispose();
  }

  private _onWorkflowChanged(_: IPerQueueModel, id: number): void {
    if (id === this.workflowId) {
      this._schedule(Work.Update);
    }
  }

  /** Live times: an event's `at` stands in for the entry's time until the next snapshot brings it. */
  private _onEvent(_: IPerQueueModel, event: PerQueue.BridgeEvent): void {
    if (
      event.workflowId !== this.workflowId ||
      event.type !== 'node' ||
      event.nodeId === null ||
      event.nodeId === undefined ||
      !event.at
    ) {
      return;
    }
    const seen = this._seen.get(event.nodeId) ?? {};
    if (noteEventTime(seen, event.state, event.at)) {
      this._seen.set(event.nodeId, seen);
    }
    this._touched.add(event.nodeId);
    this._schedule(Work.Update);
  }

  /** One update and one paint per animation frame, however many events came. */
  private _schedule(work: Work): void {
    this._work = Math.max(this._work, work) as Work;
    if (this._frame !== null || this.isDisposed) {
      return;
    }
    this._frame = requestAnimationFrame(() => {
      this._frame = null;
      const work = this._work;
      this._work = Work.Paint;
      if (work >= Work.Update) {
        this._sync(work === Work.Build);
      } else if (work === Work.Tick && this._timeline) {
        retime(this._timeline, Date.now());
        this._describe();
      }
      this._paint();
    });
  }

  /**
   * Brings the timeline to the model: only the bars of the entries that changed since the last
   * time (their objects were replaced, or an event told a time), unless entries came, went or
   * moved to another row; then every lane is built anew.
   */
  private _sync(build: boolean): void {
    const detail = this._model.workflow(this.workflowId);
    if (!detail) {
      return;
    }
    const changes = build || !this._timeline || !this._shown ? null : changedNodes(this._shown, detail.nodes);
    if (!changes || !this._timeline || !this._update(this._timeline, changes)) {
      const nodes = detail.nodes.map(n => withSeenTimes(n as ITimelineNode, this._seen.get(n.id)));
      this._timeline = buildTimeline(nodes, Date.now());
      this._laneOf = lanesById(this._timeline);
    }
    this._shown = detail.nodes.slice();
    this._touched.clear();
    this._describe();
  }

  /** Updates the bars of changed entries in place; false when the timeline must be built anew. */
  private _update(timeline: ITimelineModel, changes: INodeChange[]): boolean {
    if (!changes.every(c => samePlace(c.before as ITimelineNode, c.after as ITimelineNode))) {
      return false;
    }
    const ids = new Set(this._touched);
    for (const change of changes) {
      ids.add(change.after.id);
    }
    const nodes: ITimelineNode[] = [];
    for (const id of ids) {
      const node = this._model.node(this.workflowId, id);
      if (node) {
        nodes.push(withSeenTimes(node as ITimelineNode, this._seen.get(id)));
      }
    }
    return updateBars(timeline, this._laneOf, nodes, Date.now());
  }

  /** The summary line, the counts for tests, and the clock that grows running bars. */
  private _describe(): void {
    const detail = this._model.workflow(this.workflowId);
    const t = this._timeline;
    if (!detail || !t) {
      return;
    }
    const running = t.bars.filter(b => b.state === 'running' || b.state === 'queued').length;
    this._summary.textContent =
      `${detail.workflow.name || 'Workflow'} #${this.workflowId}: ${t.bars.length.toLocaleString()} entries in ${t.rows.length} rows` +
      (running ? `, ${running.toLocaleString()} queued or running` : '') +
      `, ${formatDuration(t.end - t.start)}`;
    this.node.dataset.entryCount = String(t.bars.length);
    this.node.dataset.rowCount = String(t.rows.length);
    // "running:1 succeeded:4": what the bars show, for tests and extensions.
    const counts = new Map<string, number>();
    for (const b of t.bars) {
      counts.set(b.state, (counts.get(b.state) ?? 0) + 1);
    }
    this.node.dataset.states = [...counts]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([s, n]) => `${s}:${n}`)
      .join(' ');
    // While something waits or runs its bar grows: repaint every second without new events.
    if (running && this._tick === null) {
      this._tick = window.setInterval(() => this._schedule(Work.Tick), 1000);
    } else if (!running && this._tick !== null) {
      clearInterval(this._tick);
      this._tick = null;
    }
  }

  private _paint(): void {
    const t = this._timeline;
    const width = this._scroller.clientWidth;
    // Never taller than the screen: before its panel is laid out the scroller may be as tall as
    // its content, and a canvas of every lane would cost what a paint of the lanes on screen saves.
    const height = Math.min(this._scroller.clientHeight, window.screen?.height || 2000, 4000);
    if (!t || width <= LABEL_WIDTH || height <= AXIS_HEIGHT) {
      return;
    }
    // Lanes shrink to fit a small workflow in view, and stop at 4 px (then the panel scrolls).
    const laneHeight = Math.max(4, Math.min(18, Math.floor((height - AXIS_HEIGHT) / Math.max(1, t.bars.length))));
    const base = {
      width,
      labelWidth: LABEL_WIDTH,
      axisHeight: AXIS_HEIGHT,
      laneHeight,
      scrollTop: this._scroller.scrollTop
    };
    this._viewport = this._following || !this._viewport ? fitViewport(t, base) : { ...this._viewport, ...base };
    const v = this._viewport;
    this._spacer.style.height = `${Math.max(0, AXIS_HEIGHT + t.bars.length * laneHeight - height)}px`;

    const ratio = window.devicePixelRatio || 1;
    if (this._canvas.width !== Math.round(width * ratio) || this._canvas.height !== Math.round(height * ratio)) {
      this._canvas.width = Math.round(width * ratio);
      this._canvas.height = Math.round(height * ratio);
      this._canvas.style.width = `${width}px`;
      this._canvas.style.height = `${height}px`;
    }
    const ctx = this._canvas.getContext('2d');
    if (!ctx) {
      return;
    }
    const colors = this._readColors();
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.font = `11px ${colors.font}`;
    ctx.textBaseline = 'middle';

    const [first, last] = visibleLanes(v, height, t.bars.length);
    // Row bands: alternate shading, a rule and the row's label at its first visible lane.
    let rowAt = rowOfLane(t, first);
    let rowIndex = rowAt ? t.rows.indexOf(rowAt) : -1;
    // A label below the one before when rows are thinner than a line of text, left out when its row ends first.
    let labelsBottom = AXIS_HEIGHT;
    ctx.save();
    ctx.beginPath();
    ctx.rect(0, AXIS_HEIGHT, width, height - AXIS_HEIGHT);
    ctx.clip();
    while (rowAt && rowAt.firstLane < last) {
      const top = laneY(v, rowAt.firstLane);
      const bottom = laneY(v, rowAt.firstLane + rowAt.lanes);
      if (rowIndex % 2 === 1) {
        ctx.fillStyle = colors.band;
        ctx.fillRect(0, top, width, bottom - top);
      }
      ctx.fillStyle = colors.rule;
      ctx.fillRect(0, top, width, 1);
      ctx.fillStyle = colors.text;
      const labelTop = Math.max(top, labelsBottom);
      if (labelTop + 12 <= Math.max(bottom, top + 12) && labelTop < height) {
        ctx.fillText(
          ellipsize(ctx, `${rowAt.label}${rowAt.lanes > 1 ? ` (${rowAt.lanes})` : ''}`, LABEL_WIDTH - 8),
          4,
          labelTop + 6
        );
        labelsBottom = labelTop + 13;
      }
      rowIndex += 1;
      rowAt = t.rows[rowIndex] ?? null;
    }
    ctx.beginPath();
    ctx.rect(LABEL_WIDTH, AXIS_HEIGHT, width - LABEL_WIDTH, height - AXIS_HEIGHT);
    ctx.clip();
    const pad = laneHeight >= 8 ? 2 : laneHeight >= 5 ? 1 : 0.5;
    let drawn = 0;
    for (let lane = first; lane < last; lane++) {
      const bar = t.bars[lane];
      const px = barPixels(v, bar, t.now);
      if (!px || px.x1 < LABEL_WIDTH || px.x0 > width) {
        continue;
      }
      drawn += 1;
      const y = laneY(v, lane) + pad;
      const h = laneHeight - 2 * pad;
      const color = colors.states[bar.state] ?? colors.text;
      ctx.fillStyle = color;
      // The queue wait, lighter; then the run.
      ctx.globalAlpha = 0.35;
      ctx.fillRect(px.x0, y, Math.max(px.xStart - px.x0, 0), h);
      ctx.globalAlpha = 1;
      ctx.fillRect(px.xStart, y, Math.max(px.x1 - px.xStart, px.xStart === px.x1 ? 2 : 0), h);
      if (h >= 7) {
        this._drawShape(ctx, bar, px.x0, px.x1, y, h, colors);
      }
    }
    ctx.restore();
    this._drawAxis(ctx, v, t, width, colors);
    this.node.dataset.drawnBars = String(drawn);
    this.node.dataset.spanMs = String(Math.round(v.t1 - v.t0));
    this.node.dataset.painted = String(++this._paints);
  }

  /** The family's border (dashed, dotted, double) and its glyph at the bar's end, as on graph nodes. */
  private _drawShape(
    ctx: CanvasRenderingContext2D,
    bar: ITimelineBar,
    x0: number,
    x1: number,
    y: number,
    h: number,
    colors: IColors
  ): void {
    const look = FAMILY_LOOK[bar.family];
    ctx.strokeStyle = colors.outline;
    ctx.lineWidth = 1;
    ctx.setLineDash(look.border === 'dashed' ? [4, 2] : look.border === 'dotted' ? [1, 2] : []);
    ctx.strokeRect(x0 + 0.5, y + 0.5, Math.max(x1 - x0 - 1, 1), h - 1);
    if (look.border === 'double' && h >= 9) {
      ctx.strokeRect(x0 + 2.5, y + 2.5, Math.max(x1 - x0 - 5, 1), h - 5);
    }
    ctx.setLineDash([]);
    if (x1 - x0 >= h + 4) {
      const size = h - 2;
      ctx.save();
      ctx.translate(x1 - size - 2, y + 1);
      ctx.scale(size / 24, size / 24);
      ctx.lineWidth = 3;
      ctx.lineCap = 'round';
      ctx.lineJoin = 'round';
      ctx.strokeStyle = colors.outline;
      ctx.stroke(glyphPath(bar.family));
      ctx.restore();
    }
  }

  private _drawAxis(
    ctx: CanvasRenderingContext2D,
    v: IViewport,
    t: ITimelineModel,
    width: number,
    colors: IColors
  ): void {
    ctx.fillStyle = colors.background;
    ctx.fillRect(0, 0, width, AXIS_HEIGHT);
    ctx.fillStyle = colors.rule;
    ctx.fillRect(0, AXIS_HEIGHT - 1, width, 1);
    ctx.fillStyle = colors.muted;
    ctx.fillText('elapsed', 4, AXIS_HEIGHT / 2);
    for (const { t: at, step } of axisTicks(v)) {
      const x = v.labelWidth + ((at - v.t0) / (v.t1 - v.t0)) * (width - v.labelWidth);
      if (x < v.labelWidth) {
        continue;
      }
      ctx.fillRect(x, AXIS_HEIGHT - 6, 1, 6);
      ctx.fillText(tickLabel(at, t.start, step), x + 3, AXIS_HEIGHT / 2);
    }
  }

  private _readColors(): IColors {
    if (this._colors) {
      return this._colors;
    }
    const style = getComputedStyle(this.node);
    const read = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
    const states: Record<string, string> = {};
    for (const state of ENTRY_STATES) {
      states[state] = read(stateColorVar(state), '#9e9e9e');
    }
    this._colors = {
      states,
      text: read('--jp-ui-font-color1', '#222'),
      muted: read('--jp-ui-font-color2', '#555'),
      outline: read('--jp-ui-font-color1', '#222'),
      band: read('--jp-layout-color2', '#eee'),
      rule: read('--jp-border-color2', '#ddd'),
      background: read('--jp-layout-color1', '#fff'),
      font: read('--jp-ui-font-family', 'sans-serif')
    };
    return this._colors;
  }

  private _localPoint(event: MouseEvent): [number, number] {
    const box = this._canvas.getBoundingClientRect();
    return [event.clientX - box.left, event.clientY - box.top];
  }

  /** Wheel on the time axis (or Ctrl+wheel anywhere) zooms around the pointer; else the lanes scroll. */
  private _onWheel = (event: WheelEvent): void => {
    const [x, y] = this._localPoint(event);
    if (!this._viewport || (y > AXIS_HEIGHT && !event.ctrlKey && !event.metaKey)) {
      return;
    }
    event.preventDefault();
    this._following = false;
    this._viewport = zoomAt(this._viewport, x, Math.exp(-event.deltaY / 300));
    this._schedule(Work.Paint);
  };

  /** Dragging pans the time axis (on the axis, or anywhere with a bar-free start). */
  private _onPointerDown = (event: PointerEvent): void => {
    if (event.button !== 0 || !this._viewport) {
      return;
    }
    let lastX = event.clientX;
    this._canvas.setPointerCapture(event.pointerId);
    this._canvas.classList.add('jp-mod-dragging');
    const move = (e: PointerEvent) => {
      if (!this._viewport) {
        return;
      }
      this._following = false;
      this._viewport = panBy(this._viewport, e.clientX - lastX);
      lastX = e.clientX;
      this._schedule(Work.Paint);
    };
    const up = () => {
      this._canvas.removeEventListener('pointermove', move);
      this._canvas.removeEventListener('pointerup', up);
      this._canvas.classList.remove('jp-mod-dragging');
    };
    this._canvas.addEventListener('pointermove', move);
    this._canvas.addEventListener('pointerup', up);
  };

  private _onPointerMove = (event: PointerEvent): void => {
    if (event.buttons) {
      this._showTooltip(null, 0, 0);
      return;
    }
    const [x, y] = this._localPoint(event);
    const bar = this._timeline && this._viewport ? hitTest(this._timeline, this._viewport, x, y) : null;
    this._showTooltip(bar, x, y);
  };

  /** A double-click on a bar shows the entry in its graph, as "Show entry" does. */
  private _onDoubleClick = (event: MouseEvent): void => {
    const bar = this.barAt(event.clientX, event.clientY);
    if (bar && this._commands) {
      void this._commands.execute(CommandIDs.showEntry, { workflowId: this.workflowId, entryId: bar.entryId });
    }
  };

  /** A right-click on a bar opens the entry's context menu (Retry, Cancel, …). */
  private _onContextMenu = (event: MouseEvent): void => {
    const bar = this.barAt(event.clientX, event.clientY);
    markContextEntry(this._canvas, bar ? { workflowId: this.workflowId, entryId: bar.entryId } : null);
  };

  private _showTooltip(bar: ITimelineBar | null, x: number, y: number): void {
    this._canvas.style.cursor = bar ? 'pointer' : '';
    if (!bar || !this._timeline) {
      this._tooltip.hidden = true;
      delete this._tooltip.dataset.entryId;
      return;
    }
    const { wait, run } = durations(bar, this._timeline.now);
    const lines = [
      `${bar.name}${bar.index.length ? ` [${bar.index.join(', ')}]` : ''} #${bar.entryId}: ${bar.state.replace(/_/g, ' ')}`,
      wait !== null ? `queued ${formatDuration(wait)}` : 'not queued yet',
      run !== null ? `ran ${formatDuration(run)}${bar.ended === null && bar.state === 'running' ? ' so far' : ''}` : '',
      bar.jobId ? `job ${bar.jobId}${bar.attempt > 1 ? `, attempt ${bar.attempt}` : ''}` : ''
    ].filter(Boolean);
    this._tooltip.textContent = lines.join('\n');
    this._tooltip.dataset.entryId = String(bar.entryId);
    this._tooltip.hidden = false;
    const box = this._scroller.getBoundingClientRect();
    const host = this.node.getBoundingClientRect();
    this._tooltip.style.left = `${Math.min(x + 12, Math.max(0, box.width - 260))}px`;
    this._tooltip.style.top = `${box.top - host.top + y + 14}px`;
  }

  private readonly _model: IPerQueueModel;
  private readonly _commands: CommandRegistry | null;
  private readonly _summary: HTMLElement;
  private readonly _legend: GraphLegend;
  private readonly _scroller: HTMLElement;
  private readonly _spacer: HTMLElement;
  private readonly _canvas: HTMLCanvasElement;
  private readonly _tooltip: HTMLElement;
  /** Times live events told, until a snapshot brings them (see withSeenTimes). */
  private readonly _seen = new Map<number, ISeenTimes>();
  /** Entries named by events since the last update. */
  private readonly _touched = new Set<number>();
  private readonly _resizeObserver: ResizeObserver | null = null;
  private readonly _stopThemeWatch: () => void;
  private _timeline: ITimelineModel | null = null;
  private _viewport: IViewport | null = null;
  private _following = true;
  private _frame: number | null = null;
  private _work: Work = Work.Paint;
  /** The model's entries as of the last update (a copy): changed ones are found by identity. */
  private _shown: PerQueue.Node[] | null = null;
  private _laneOf = new Map<number, number>();
  private _tick: number | null = null;
  private _paints = 0;
  private _colors: IColors | null = null;
}

interface IColors {
  states: Record<string, string>;
  text: string;
  muted: string;
  outline: string;
  band: string;
  rule: string;
  background: string;
  font: string;
}

const glyphs = new Map<string, Path2D>();

/** The legend's glyph of a family as a canvas path (made once). */
function glyphPath(family: keyof typeof FAMILY_LOOK): Path2D {
  let path = glyphs.get(family);
  if (!path) {
    path = new Path2D(FAMILY_LOOK[family].glyph);
    glyphs.set(family, path);
  }
  return path;
}

function ellipsize(ctx: CanvasRenderingContext2D, text: string, width: number): string {
  if (ctx.measureText(text).width <= width) {
    return text;
  }
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ctx.measureText(`${text.slice(0, mid)}…`).width <= width) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return `${text.slice(0, lo)}…`;
}
