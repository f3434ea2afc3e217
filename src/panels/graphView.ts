// The live graph of one workflow, on its own: a cytoscape canvas in layered (dagre) layout,
// coloured by state, width groups collapsed to one node with counts. The graph panel puts it
// next to the details pane; the notebook widget shows it alone. It reads the shared model and
// never talks to the server itself; cytoscape is created only once the canvas is in the page.
import { Message } from '@lumino/messaging';
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';
import cytoscape from 'cytoscape';
import dagre from 'cytoscape-dagre';

import { isPlaceholder, type RtKind } from '../../core/model.js';
import { ENTRY_STATES } from '../../core/states.js';
import { buildGraph, countsText, IGraphElements, IGraphNode } from '../graph';
import { onThemeChange } from '../builder/theme';
import { layoutOffThread, OFF_THREAD_LAYOUT_MIN_NODES } from '../worker/layout';
import { IPerQueueModel, PerQueue } from '../tokens';
import { el } from './dom';

cytoscape.use(dagre);

export interface IGraphSettings {
  collapseWidthAbove: number;
  layoutDirection: 'TB' | 'LR';
  logTail: number;
}

export const DEFAULT_GRAPH_SETTINGS: IGraphSettings = { collapseWidthAbove: 4, layoutDirection: 'TB', logTail: 200 };

const STATES = ENTRY_STATES;

export interface IWorkflowGraphViewOptions {
  model: IPerQueueModel;
  workflowId: number;
  settings: () => IGraphSettings;
}

/**
 * Several views may show one workflow (a panel and notebook outputs); the model keeps a graph
 * up to date until it is released, so it is released when the last of them goes.
 */
const holders = new WeakMap<IPerQueueModel, Map<number, number>>();

function hold(model: IPerQueueModel, workflowId: number): void {
  let counts = holders.get(model);
  if (!counts) {
    counts = new Map();
    holders.set(model, counts);
  }
  counts.set(workflowId, (counts.get(workflowId) ?? 0) + 1);
}

function release(model: IPerQueueModel, workflowId: number): void {
  const counts = holders.get(model);
  const left = (counts?.get(workflowId) ?? 1) - 1;
  if (left > 0) {
    counts!.set(workflowId, left);
    return;
  }
  counts?.delete(workflowId);
  model.releaseWorkflow(workflowId);
}

/** "running:1 waiting:2": entries (not group placeholders) per state, for tests and tooltips. */
export function stateSummary(detail: PerQueue.WorkflowDetail): string {
  const counts = new Map<string, number>();
  for (const node of detail.nodes) {
    if (!isPlaceholder(node.kind as RtKind)) {
      counts.set(node.state, (counts.get(node.state) ?? 0) + 1);
    }
  }
  return [...counts.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([state, n]) => `${state}:${n}`)
    .join(' ');
}

export class WorkflowGraphView extends Widget {
  constructor(options: IWorkflowGraphViewOptions) {
    super();
    this._model = options.model;
    this._settings = options.settings;
    this.workflowId = options.workflowId;
    this.addClass('jp-PerQueue-graph-canvas');
    this.node.tabIndex = 0;
    this.node.setAttribute('role', 'img');
    this.node.setAttribute('aria-label', 'Workflow graph');
    this.node.dataset.workflowId = String(options.workflowId);
    this._message = el('div', 'jp-PerQueue-graph-message');
    this.node.appendChild(this._message);

    hold(this._model, this.workflowId);
    this._model.workflowChanged.connect(this._onWorkflowChanged, this);
    this._showMessage('Loading…');
    this.loaded = this._model.loadWorkflow(this.workflowId).then(
      () => this._update(),
      (error) => this._showMessage(`Cannot load workflow #${this.workflowId}: ${error?.message ?? error}`),
    );
    if (typeof ResizeObserver !== 'undefined') {
      this._resizeObserver = new ResizeObserver(() => this._onSizeChanged());
      this._resizeObserver.observe(this.node);
    }
    this._stopThemeWatch = onThemeChange(() => this._cy?.style(this._style()));
  }

  readonly workflowId: number;
  /** Settles once the first snapshot was drawn (or the load failed). */
  readonly loaded: Promise<void>;

  /** A click on a drawn node (null: on the background). */
  get tapped(): ISignal<this, IGraphNode | null> {
    return this._tapped;
  }

  /** Emitted after every redraw from the model. */
  get rendered(): ISignal<this, IGraphElements> {
    return this._rendered;
  }

  /** The cytoscape instance (for tests and for extensions that add overlays). */
  get cytoscape(): cytoscape.Core | null {
    return this._cy;
  }

  get elements(): IGraphElements | null {
    return this._elements;
  }

  /** The workflow's name once known. */
  get workflowName(): string {
    return this._model.workflow(this.workflowId)?.workflow.name ?? '';
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._resizeObserver?.disconnect();
    this._stopThemeWatch();
    this._model.workflowChanged.disconnect(this._onWorkflowChanged, this);
    release(this._model, this.workflowId);
    this._cy?.destroy();
    this._cy = null;
    super.dispose();
  }

  fit(): void {
    this._cy?.resize();
    this._cy?.fit(undefined, 24);
  }

  relayout(): void {
    this._runLayout();
  }

  setGroupCollapsed(key: string, collapsed: boolean): void {
    this._overrides.set(key, collapsed);
    this._update();
  }

  setAllGroupsCollapsed(collapsed: boolean): void {
    for (const key of this._elements?.groups.keys() ?? []) {
      this._overrides.set(key, collapsed);
    }
    this._update();
  }

  /** Marks a drawn node (by its cytoscape id) as the selected one. */
  highlight(id: string | null): void {
    this._highlighted = id;
    const cy = this._cy;
    if (!cy) {
      return;
    }
    cy.nodes('.selected').removeClass('selected');
    if (id) {
      cy.getElementById(id).addClass('selected');
    }
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    if (this._elements && !this._cy) {
      this._update();
    }
  }

  protected onResize(msg: Widget.ResizeMessage): void {
    super.onResize(msg);
    this._onSizeChanged();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._onSizeChanged();
  }

  private _onSizeChanged(): void {
    const cy = this._cy;
    if (!cy) {
      return;
    }
    cy.resize();
    // A layout made while the canvas had no size (a hidden tab, an output not yet shown) fits
    // nothing: make it again once there is room.
    if (this._laidOutWithoutSize && this.node.clientWidth > 0 && this.node.clientHeight > 0) {
      this._runLayout();
    }
  }

  private _onWorkflowChanged(_: IPerQueueModel, id: number): void {
    if (id === this.workflowId) {
      this._update();
    }
  }

  private _update(): void {
    const detail = this._model.workflow(this.workflowId);
    if (!detail || this.isDisposed) {
      return;
    }
    const settings = this._settings();
    const elements = buildGraph(detail, { collapseAbove: settings.collapseWidthAbove, overrides: this._overrides });
    this._elements = elements;
    this.node.dataset.nodeCount = String(elements.nodes.length);
    this.node.dataset.entryCount = String(detail.nodes.length);
    this.node.dataset.states = stateSummary(detail);
    this._showMessage(detail.nodes.length === 0 ? 'This workflow has no entries yet.' : '');
    if (this.isAttached && this.node.isConnected) {
      this._draw(elements);
    }
    this._rendered.emit(elements);
  }

  private _draw(elements: IGraphElements): void {
    let structureChanged = false;
    if (!this._cy) {
      this._cy = cytoscape({
        container: this.node,
        elements: [],
        style: this._style(),
        minZoom: 0.05,
        maxZoom: 3,
        wheelSensitivity: 0.3,
        boxSelectionEnabled: false,
        autoungrabify: true,
      });
      this._cy.on('tap', 'node', (event) => {
        const shown = this._elements?.nodes.find((n) => n.id === event.target.id());
        if (shown) {
          this._tapped.emit(shown);
        }
      });
      this._cy.on('tap', (event) => {
        if (event.target === this._cy) {
          this._tapped.emit(null);
        }
      });
      structureChanged = true;
    }
    const cy = this._cy;
    if (this._palette() !== this._paletteKey) {
      cy.style(this._style());
    }
    cy.batch(() => {
      const wanted = new Set<string>();
      for (const node of elements.nodes) {
        wanted.add(node.id);
        const data = nodeData(node);
        const existing = cy.getElementById(node.id);
        if (existing.nonempty()) {
          // Only what changed: restyling every node of a large graph on each event is too slow.
          const classes = nodeClasses(node, node.id === this._highlighted);
          const signature = `${JSON.stringify(data)}|${classes}`;
          if (existing.scratch('_pqSignature') !== signature) {
            existing.scratch('_pqSignature', signature);
            existing.data(data);
            existing.classes(classes);
          }
        } else {
          cy.add({ group: 'nodes', data, classes: nodeClasses(node, node.id === this._highlighted) });
          structureChanged = true;
        }
      }
      for (const edge of elements.edges) {
        wanted.add(edge.id);
        if (cy.getElementById(edge.id).empty()) {
          cy.add({ group: 'edges', data: { ...edge }, classes: edge.join ? 'join' : '' });
          structureChanged = true;
        }
      }
      cy.elements().forEach((element) => {
        if (!wanted.has(element.id())) {
          element.remove();
          structureChanged = true;
        }
      });
    });
    if (structureChanged) {
      this._runLayout();
    }
  }

  private _runLayout(): void {
    const cy = this._cy;
    if (!cy || cy.nodes().empty()) {
      return;
    }
    cy.resize();
    this._laidOutWithoutSize = this.node.clientWidth === 0 || this.node.clientHeight === 0;
    if (cy.nodes().length >= OFF_THREAD_LAYOUT_MIN_NODES) {
      // Thousands of nodes: dagre runs in a worker so the page stays responsive meanwhile.
      this._showMessage(`Laying out ${cy.nodes().length} nodes…`);
      const options = { rankDir: this._settings().layoutDirection, nodeSep: 24, rankSep: 48, padding: 24 };
      void layoutOffThread(cy, options).then(
        (done) => {
          if (done && !this.isDisposed) {
            this._showMessage('');
            this.node.dataset.layoutRuns = String(++this._layoutRuns);
          }
        },
        (error) => this._showMessage(`The layout failed: ${error?.message ?? error}`),
      );
      return;
    }
    const layout = cy.layout({
      name: 'dagre',
      rankDir: this._settings().layoutDirection,
      nodeSep: 24,
      rankSep: 48,
      animate: false,
      fit: true,
      padding: 24,
    } as cytoscape.LayoutOptions);
    layout.run();
    // A small graph fitted to a large panel would be drawn huge.
    if (cy.zoom() > 1.25) {
      cy.zoom(1.25);
      cy.center();
    }
    this.node.dataset.layoutRuns = String(++this._layoutRuns);
  }

  private _showMessage(text: string): void {
    this._message.textContent = text;
    this._message.hidden = !text;
  }

  /** Colours come from the theme's CSS variables, read again when the theme changes. */
  private _palette(): string {
    const style = getComputedStyle(this.node);
    const read = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
    this._colors = {
      text: read('--jp-ui-font-color1', '#222'),
      edge: read('--jp-border-color1', '#999'),
      background: read('--jp-layout-color1', '#fff'),
      selected: read('--jp-brand-color1', '#1976d2'),
    };
    for (const state of STATES) {
      this._colors[state] = read(`--jp-PerQueue-state-${state.replace(/_/g, '-')}`, '#9e9e9e');
    }
    return JSON.stringify(this._colors);
  }

  private _style(): cytoscape.StylesheetJson {
    this._paletteKey = this._palette();
    const c = this._colors;
    const rules: cytoscape.StylesheetJson = [
      {
        selector: 'node',
        style: {
          label: 'data(label)',
          'text-valign': 'bottom',
          'text-halign': 'center',
          'text-margin-y': 4,
          'font-size': 11,
          color: c.text,
          'text-wrap': 'ellipsis',
          'text-max-width': '140px',
          'background-color': c.waiting,
          'border-width': 1,
          'border-color': c.edge,
          width: 26,
          height: 26,
        },
      },
      { selector: 'node.placeholder', style: { shape: 'diamond', 'background-opacity': 0.5 } },
      { selector: 'node.manual', style: { shape: 'round-rectangle' } },
      {
        selector: 'node.group',
        style: { shape: 'round-rectangle', width: 44, height: 30, 'border-width': 3, 'border-style': 'double' },
      },
      { selector: 'node.selected', style: { 'border-width': 4, 'border-color': c.selected } },
      {
        selector: 'edge',
        style: {
          width: 1.5,
          'line-color': c.edge,
          'target-arrow-color': c.edge,
          'target-arrow-shape': 'triangle',
          'curve-style': 'bezier',
        },
      },
      { selector: 'edge.join', style: { 'line-style': 'dashed' } },
    ];
    for (const state of STATES) {
      rules.push({ selector: `node.state-${state}`, style: { 'background-color': c[state] } });
    }
    return rules;
  }

  private readonly _model: IPerQueueModel;
  private readonly _settings: () => IGraphSettings;
  private readonly _message: HTMLElement;
  private readonly _overrides = new Map<string, boolean>();
  private readonly _tapped = new Signal<this, IGraphNode | null>(this);
  private readonly _rendered = new Signal<this, IGraphElements>(this);
  private readonly _resizeObserver: ResizeObserver | null = null;
  private readonly _stopThemeWatch: () => void;
  private _cy: cytoscape.Core | null = null;
  private _elements: IGraphElements | null = null;
  private _colors: Record<string, string> = {};
  private _paletteKey = '';
  private _layoutRuns = 0;
  private _laidOutWithoutSize = false;
  private _highlighted: string | null = null;
}

function nodeData(node: IGraphNode): Record<string, unknown> {
  return {
    id: node.id,
    label: node.label,
    state: node.state,
    kind: node.kind,
    entryId: node.entryId,
    groupKey: node.groupKey,
    count: node.count,
    summary: countsText(node.counts),
  };
}

function nodeClasses(node: IGraphNode, selected: boolean): string {
  const classes = [`state-${node.state}`, node.kind];
  if (node.entryId === null) {
    classes.push('group');
  }
  if (isPlaceholder(node.kind as RtKind)) {
    classes.push('placeholder');
  }
  if (selected) {
    classes.push('selected');
  }
  return classes.join(' ');
}
