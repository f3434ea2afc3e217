// The live graph of one workflow, on its own: a cytoscape canvas in layered layout (worker/layoutCore.ts),
// coloured by state, width groups collapsed to one node with counts. The graph panel puts it
// next to the details pane; the notebook widget shows it alone. It reads the shared model and
// never talks to the server itself; cytoscape is created only once the canvas is in the page.
import { Message } from '@lumino/messaging';
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';
import cytoscape from 'cytoscape';

import { isPlaceholder, type RtKind } from '../../core/model.js';
import { ENTRY_STATES } from '../../core/states.js';
import { FAMILY_LOOK, FAMILY_OF_STATE, glyphColor, glyphUrl } from './legend';
import { GraphLegend } from './legendView';
import { applyStateChanges, buildGraph, countsText, IGraphElements, IGraphNode } from './elements';
import { BAND_PADDING, type IBox } from './bands';
import { estimateTextWidth, LABEL_FONT_SIZE, LABEL_MARGIN } from './labels';
import {
  ENTRY_SIZE,
  fitViewport,
  graphBox,
  readableViewport,
  GROUP_SIZE,
  IShownLabel,
  layoutBands,
  layoutRequestOf,
  shownLabel
} from './layout';
import { markContextEntry, onThemeChange } from '../ui';
import { layoutOffThread, OFF_THREAD_LAYOUT_MIN_NODES } from './worker/layout';
import { layeredLayout, type ILayoutRequest, type ILayoutResult } from './worker/layoutCore';
import { edgeRoutes, type IPoint, routeKey, segmentsOf } from './edgeRoute';
import { changedNodes } from '../snapshots';
import { IPerQueueModel, PerQueue } from '../tokens';
import { el } from '../ui';

export interface IGraphSettings {
  collapseWidthAbove: number;
  layoutDirection: 'TB' | 'LR';
  logTail: number;
}

export const DEFAULT_GRAPH_SETTINGS: IGraphSettings = { collapseWidthAbove: 4, layoutDirection: 'TB', logTail: 200 };

const STATES = ENTRY_STATES;

interface IWorkflowGraphViewOptions {
  model: IPerQueueModel;
  workflowId: number;
  settings: () => IGraphSettings;
}

/**
 * Several views may show one workflow (a panel and notebook outputs); the model keeps a graph
 * up to date until it is released, so it is released when the last of them goes.
 */
const holders = new WeakMap<IPerQueueModel, Map<number, number>>();

export function hold(model: IPerQueueModel, workflowId: number): void {
  let counts = holders.get(model);
  if (!counts) {
    counts = new Map();
    holders.set(model, counts);
  }
  counts.set(workflowId, (counts.get(workflowId) ?? 0) + 1);
}

export function release(model: IPerQueueModel, workflowId: number): void {
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
function stateSummary(detail: PerQueue.WorkflowDetail): string {
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
    // States are told apart by glyph and border too; the legend says which is which.
    this._legend = new GraphLegend();
    this.node.appendChild(this._legend.node);

    hold(this._model, this.workflowId);
    this._model.workflowChanged.connect(this._onWorkflowChanged, this);
    this._showMessage('Loading…');
    this.loaded = this._model.loadWorkflow(this.workflowId).then(
      () => this._update(),
      error => this._showMessage(`Cannot load workflow #${this.workflowId}: ${error?.message ?? error}`)
    );
    if (typeof ResizeObserver !== 'undefined') {
      this._resizeObserver = new ResizeObserver(() => this._onSizeChanged());
      this._resizeObserver.observe(this.node);
    }
    this._stopThemeWatch = onThemeChange(() => this._cy?.style(this._style()));
    // Before JupyterLab's own handler on the document: it opens the menu for what is marked here.
    this.node.addEventListener('contextmenu', this._onContextMenu);
  }

  readonly workflowId: number;
  /** Settles once the first snapshot was drawn (or the load failed). */
  readonly loaded: Promise<void>;

  /** A click on a drawn node (null: on the background). */
  get tapped(): ISignal<this, IGraphNode | null> {
    return this._tapped;
  }

  /** A right-click on a drawn entry, just before JupyterLab's context menu opens for it. */
  get contextRequested(): ISignal<this, IGraphNode> {
    return this._contextRequested;
  }

  /** The drawn node under a point of the page (client coordinates), the topmost one. */
  nodeAt(clientX: number, clientY: number): IGraphNode | null {
    const cy = this._cy;
    if (!cy || !this._elements) {
      return null;
    }
    const box = this.node.getBoundingClientRect();
    const x = clientX - box.left;
    const y = clientY - box.top;
    let hit: string | null = null;
    cy.nodes().forEach(node => {
      const b = node.renderedBoundingBox({ includeLabels: false, includeOverlays: false });
      if (x >= b.x1 && x <= b.x2 && y >= b.y1 && y <= b.y2 && !node.isParent()) {
        hit = node.id();
      }
    });
    return hit === null ? null : (this._elements.nodes.find(n => n.id === hit) ?? null);
  }

  /** Centres a drawn node (by its cytoscape id) and zooms in so that it can be read. */
  reveal(id: string): void {
    const cy = this._cy;
    const target = cy?.getElementById(id);
    // Not drawn yet (the panel was just opened): once the layout has placed it.
    this._revealAfterLayout = !cy || !target || target.empty() || this._layoutPending ? id : null;
    if (!cy || !target || target.empty()) {
      return;
    }
    cy.zoom(Math.max(cy.zoom(), REVEAL_ZOOM));
    cy.center(target);
    this._fitted = null;
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
    this.node.removeEventListener('contextmenu', this._onContextMenu);
    if (this._updateTimer !== null) {
      clearTimeout(this._updateTimer);
    }
    this._stopThemeWatch();
    this._model.workflowChanged.disconnect(this._onWorkflowChanged, this);
    release(this._model, this.workflowId);
    this._cy?.destroy();
    this._cy = null;
    super.dispose();
  }

  fit(): void {
    this._fitToView();
  }

  relayout(): void {
    this._runLayout();
  }

  setGroupCollapsed(key: string, collapsed: boolean): void {
    this._overrides.set(key, collapsed);
    this._update(true);
  }

  setAllGroupsCollapsed(collapsed: boolean): void {
    for (const key of this._elements?.groups.keys() ?? []) {
      this._overrides.set(key, collapsed);
    }
    this._update(true);
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
    const hasRoom = this.node.clientWidth > 0 && this.node.clientHeight > 0;
    // A layout made while the canvas had no size (a hidden tab, an output not yet shown) fits
    // nothing: fit it again once there is room.
    if (this._laidOutWithoutSize && hasRoom) {
      this._fitToView(true);
      return;
    }
    // A resized panel fits the graph again, unless the person moved or zoomed it since the fit.
    const fitted = this._fitted;
    if (hasRoom && fitted && fitted.zoom === cy.zoom() && fitted.x === cy.pan().x && fitted.y === cy.pan().y) {
      this._fitToView(this._fittedReadable);
    }
  }

  private readonly _onContextMenu = (event: MouseEvent): void => {
    const onLegend = event.target instanceof Node && this._legend.node.contains(event.target);
    const shown = onLegend ? null : this.nodeAt(event.clientX, event.clientY);
    const entry = shown && shown.entryId !== null ? { workflowId: this.workflowId, entryId: shown.entryId } : null;
    markContextEntry(this.node, entry);
    if (shown && entry) {
      this._contextRequested.emit(shown);
    }
  };

  private _onWorkflowChanged(_: IPerQueueModel, id: number): void {
    if (id !== this.workflowId) {
      return;
    }
    // Cytoscape redraws a large graph whole on any change: there, a few redraws a second.
    if ((this._elements?.nodes.length ?? 0) < LARGE_GRAPH_NODES) {
      this._update();
    } else if (this._updateTimer === null) {
      this._updateTimer = setTimeout(() => {
        this._updateTimer = null;
        this._update();
      }, LARGE_GRAPH_UPDATE_MS);
    }
  }

  /**
   * Brings the drawing to the model. When only entries' states changed since the last time
   * (found by identity: the model replaces a changed entry's object), the drawn nodes are
   * updated in place and only they are restyled; anything else (entries or edges that came or
   * went, a group collapsed or expanded: `rebuild`) builds the graph anew.
   */
  private _update(rebuild = false): void {
    const detail = this._model.workflow(this.workflowId);
    if (!detail || this.isDisposed) {
      return;
    }
    const previous = this._elements;
    const collapseAbove = this._settings().collapseWidthAbove;
    const changes =
      !rebuild &&
      previous &&
      this._shown &&
      detail.edges === this._shownEdges &&
      collapseAbove === this._builtCollapseAbove
        ? changedNodes(this._shown, detail.nodes)
        : null;
    const touched = previous && changes ? applyStateChanges(previous, changes) : null;
    let elements: IGraphElements;
    if (previous && touched) {
      elements = previous;
    } else {
      elements = buildGraph(detail, { collapseAbove, overrides: this._overrides });
      this._builtCollapseAbove = collapseAbove;
    }
    this._elements = elements;
    this._shown = detail.nodes.slice();
    this._shownEdges = detail.edges;
    this.node.dataset.nodeCount = String(elements.nodes.length);
    this.node.dataset.entryCount = String(detail.nodes.length);
    this.node.dataset.states = stateSummary(detail);
    this._showMessage(detail.nodes.length === 0 ? 'This workflow has no entries yet.' : '');
    if (this.isAttached && this.node.isConnected) {
      if (touched && this._cy && !this._layoutPending && this._palette() === this._paletteKey) {
        this._restyle(touched);
      } else {
        this._draw(elements);
      }
    }
    this._rendered.emit(elements);
  }

  /** Restyles drawn nodes whose state or counts changed, each looked up by id: nothing else is visited. */
  private _restyle(nodes: readonly IGraphNode[]): void {
    const cy = this._cy;
    if (!cy || nodes.length === 0) {
      return;
    }
    cy.batch(() => {
      for (const node of nodes) {
        const element = cy.getElementById(node.id);
        if (element.empty()) {
          continue;
        }
        const label = this._shownLabel(node.label);
        const classes = nodeClasses(node, node.id === this._highlighted);
        const signature = nodeSignature(node, label, classes);
        if (element.scratch('_pqSignature') !== signature) {
          element.scratch('_pqSignature', signature);
          element.data(nodeData(node, label));
          element.classes(classes);
        }
      }
    });
  }

  private _draw(elements: IGraphElements): void {
    const cy = this._cy ?? this._createCytoscape();
    if (this._palette() !== this._paletteKey) {
      cy.style(this._style());
    }
    const structure = structureKey(elements);
    if (structure !== this._structure) {
      this._structure = structure;
      this._runLayout();
    } else if (!this._layoutPending) {
      this._apply(null);
    }
  }

  private _createCytoscape(): cytoscape.Core {
    const cy = cytoscape({
      container: this.node,
      elements: [],
      style: this._style(),
      minZoom: 0.05,
      maxZoom: 3,
      wheelSensitivity: 0.3,
      boxSelectionEnabled: false,
      autoungrabify: true
    });
    cy.on('tap', 'node', event => {
      const shown = this._elements?.nodes.find(n => n.id === event.target.id());
      if (shown) {
        this._tapped.emit(shown);
      }
    });
    cy.on('tap', event => {
      if (event.target === cy) {
        this._tapped.emit(null);
      }
    });
    // Long names are cut on the canvas: the full name (and a group's counts) in the tooltip.
    cy.on('mouseover', 'node', event => {
      const data = event.target.data();
      this.node.title = data.summary && data.count > 1 ? `${data.label}\n${data.summary}` : data.label;
    });
    cy.on('mouseout', 'node', () => (this.node.title = ''));
    this._cy = cy;
    return cy;
  }

  /** Lays the graph out (in the worker when it is large) and draws it at the new positions. */
  private _runLayout(): void {
    const cy = this._cy;
    const elements = this._elements;
    if (!cy || !elements) {
      return;
    }
    const bandLabelWidths = new Map([...elements.bands.values()].map(band => [band.key, this._measure(band.label)]));
    const request = layoutRequestOf(
      elements,
      this._labels(elements),
      this._settings().layoutDirection,
      bandLabelWidths
    );
    const generation = ++this._layoutGeneration;
    if (request.ids.length < OFF_THREAD_LAYOUT_MIN_NODES) {
      this._layoutPending = false;
      this._apply(placed(request, layeredLayout(request)));
      return;
    }
    this._layoutPending = true;
    this._showMessage(`Laying out ${request.ids.length} nodes…`);
    layoutOffThread(request).then(
      result => {
        // A newer layout (or the view's end) made this one moot.
        if (generation !== this._layoutGeneration || this.isDisposed || !this._cy) {
          return;
        }
        this._layoutPending = false;
        this._showMessage('');
        this._apply(placed(request, result));
      },
      error => {
        this._layoutPending = false;
        this._showMessage(`The layout failed: ${error?.message ?? error}`);
      }
    );
  }

  /**
   * Brings cytoscape to the current elements in one batch: new ones are added where the layout
   * put them, gone ones removed, changed ones restyled. After a layout, every node moves, every
   * edge takes its new route and the iteration bands are drawn again around them.
   */
  private _apply(layout: IPlaced | null): void {
    const positions = layout?.positions ?? null;
    const cy = this._cy;
    const elements = this._elements;
    if (!cy || !elements) {
      return;
    }
    const labels = this._labels(elements);
    const large = elements.nodes.length >= LARGE_GRAPH_NODES;
    if (large !== this._large) {
      this._large = large;
      cy.style(this._style());
      setViewportShortcuts(cy, large);
    }
    cy.batch(() => {
      // One pass over what is drawn: a lookup per element would build a collection each time.
      const present = new Map<string, cytoscape.SingularElementReturnValue>();
      cy.elements().forEach(element => {
        present.set(element.id(), element);
      });
      const wanted = new Set<string>();
      const added: cytoscape.ElementDefinition[] = [];
      for (const node of elements.nodes) {
        wanted.add(node.id);
        const label = labels.get(node.id);
        const classes = nodeClasses(node, node.id === this._highlighted);
        const position = positions?.get(node.id);
        // Only what changed: restyling every node of a large graph on each event is too slow.
        const signature = nodeSignature(node, label, classes);
        const existing = present.get(node.id);
        if (!existing) {
          const data = nodeData(node, label);
          added.push({
            group: 'nodes',
            data,
            classes,
            position: position ?? { x: 0, y: 0 },
            scratch: { _pqSignature: signature }
          });
          continue;
        }
        if (existing.scratch('_pqSignature') !== signature) {
          existing.scratch('_pqSignature', signature);
          existing.data(nodeData(node, label));
          existing.classes(classes);
        }
        if (position) {
          existing.position(position);
        }
      }
      for (const edge of elements.edges) {
        wanted.add(edge.id);
        const existing = present.get(edge.id);
        // Routes come with a layout (none in a large graph, whose edges are straight lines).
        const route = layout?.routes?.get(routeKey(edge.source, edge.target));
        const bends = route ? segmentsOf(route) : null;
        const bent = bends !== null && bends.weights.length > 0;
        const classes = [edge.join ? 'join' : '', bent ? 'bent' : ''].join(' ').trim();
        const data = bent ? { bendWeights: bends.weights, bendDistances: bends.distances } : {};
        if (!existing) {
          added.push({ group: 'edges', data: { ...edge, ...data }, classes });
        } else if (layout) {
          existing.data(data);
          existing.classes(classes);
        }
      }
      if (positions) {
        const boxes = layoutBands(elements, labels, id => positions.get(id));
        this._layoutBox = graphBox(elements, labels, id => positions.get(id), boxes.values());
        for (const [key, box] of boxes) {
          const band = elements.bands.get(key)!;
          // The box behind the iteration's entries, and its label on top of the edges.
          const half = Math.max(box.x2 - box.x1, this._measure(band.label) + 2 * BAND_PADDING.side) / 2;
          const centre = (box.x1 + box.x2) / 2;
          const parts: [string, Record<string, unknown>, string, IPosition][] = [
            [
              `band:${key}`,
              { label: band.label, width: 2 * half, height: box.y2 - box.y1 },
              'band band-box',
              { x: centre, y: (box.y1 + box.y2) / 2 }
            ],
            [
              `band-label:${key}`,
              { label: band.label },
              'band band-label',
              { x: centre, y: box.y1 + BAND_PADDING.top / 2 }
            ]
          ];
          for (const [id, data, classes, position] of parts) {
            wanted.add(id);
            const existing = present.get(id);
            if (!existing) {
              added.push({ group: 'nodes', data: { id, ...data }, classes, position });
            } else {
              existing.data(data);
              existing.position(position);
            }
          }
        }
      } else {
        cy.nodes('.band').forEach(band => {
          wanted.add(band.id());
        });
      }
      for (const [id, element] of present) {
        if (!wanted.has(id)) {
          element.remove();
        }
      }
      if (added.length) {
        cy.add(added);
      }
    });
    if (positions) {
      this._fitToView(true);
      this.node.dataset.layoutRuns = String(++this._layoutRuns);
      if (this._revealAfterLayout !== null) {
        this.reveal(this._revealAfterLayout);
      }
    }
  }

  /**
   * Fits the laid-out graph into the canvas from the layout's own box: cytoscape's fit would
   * measure every element's label first, which costs a second in a graph of 10,000 nodes.
   * `readable` (the view after a layout): a graph too large to fit at a readable size is shown
   * from its top at READABLE_ZOOM instead; Fit shows it whole.
   */
  private _fitToView(readable = false): void {
    const cy = this._cy;
    if (!cy || cy.nodes().empty() || !this._layoutBox) {
      return;
    }
    cy.resize();
    const width = this.node.clientWidth;
    const height = this.node.clientHeight;
    this._laidOutWithoutSize = width === 0 || height === 0;
    // A small graph fitted to a large panel would be drawn huge: at most 1.25.
    const fitted = fitViewport(this._layoutBox, width, height, 24, cy.minZoom(), 1.25);
    cy.viewport(readable && !this._laidOutWithoutSize ? readableViewport(this._layoutBox, width, fitted, 24) : fitted);
    this._fitted = { zoom: cy.zoom(), ...cy.pan() };
    this._fittedReadable = readable;
  }

  /** Each node's label as drawn (wrapped, cut), measured in the graph's font; cached by text. */
  private _labels(elements: IGraphElements): Map<string, IShownLabel> {
    const labels = new Map<string, IShownLabel>();
    for (const node of elements.nodes) {
      labels.set(node.id, this._shownLabel(node.label));
    }
    return labels;
  }

  private _shownLabel(label: string): IShownLabel {
    let shown = this._labelCache.get(label);
    if (!shown) {
      shown = shownLabel(label, text => this._measure(text));
      this._labelCache.set(label, shown);
    }
    return shown;
  }

  private _measure(text: string): number {
    if (!this._measureContext) {
      this._measureContext = document.createElement('canvas').getContext('2d');
    }
    const context = this._measureContext;
    if (!context) {
      return estimateTextWidth(text);
    }
    context.font = `${LABEL_FONT_SIZE}px ${this._colors.font || 'sans-serif'}`;
    return context.measureText(text).width;
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
      muted: read('--jp-ui-font-color2', '#555'),
      edge: read('--jp-border-color1', '#999'),
      background: read('--jp-layout-color1', '#fff'),
      band: read('--jp-layout-color2', '#eee'),
      selected: read('--jp-brand-color1', '#1976d2'),
      // The theme's first font only: cytoscape hashes the family into every label's cache key.
      font: `${read('--jp-ui-font-family', 'sans-serif').split(',')[0].trim()}, sans-serif`
    };
    for (const state of STATES) {
      this._colors[state] = read(`--jp-PerQueue-state-${state.replace(/_/g, '-')}`, '#9e9e9e');
    }
    const key = JSON.stringify(this._colors);
    if (this._colors.font !== this._labelFont) {
      this._labelFont = this._colors.font;
      this._labelCache.clear();
    }
    return key;
  }

  private _style(): cytoscape.StylesheetJson {
    this._paletteKey = this._palette();
    const c = this._colors;
    const large = this._large;
    const rules: cytoscape.StylesheetJson = [
      {
        selector: 'node',
        style: {
          label: 'data(shown)',
          'text-valign': 'bottom',
          'text-halign': 'center',
          'text-margin-y': LABEL_MARGIN,
          'font-size': LABEL_FONT_SIZE,
          'font-family': c.font,
          color: c.text,
          // Lines are broken (and cut) by labels.ts, which the layout spaces nodes by.
          'text-wrap': 'wrap',
          'text-max-width': '1000px',
          'background-color': c.waiting,
          'border-width': 1,
          'border-color': c.edge,
          width: ENTRY_SIZE,
          height: ENTRY_SIZE,
          // Bands under edges under nodes.
          'z-index-compare': 'manual',
          'z-index': 2,
          // In a large graph labels appear once zoomed in enough to read them.
          'min-zoomed-font-size': large ? 8 : 0
        }
      },
      // Opaque, so a group's diamond keeps its state colour's contrast against the canvas (the shape marks it).
      { selector: 'node.placeholder', style: { shape: 'diamond' } },
      { selector: 'node.manual', style: { shape: 'round-rectangle' } },
      {
        selector: 'node.group',
        style: {
          shape: 'round-rectangle',
          width: GROUP_SIZE.width,
          height: GROUP_SIZE.height,
          'border-width': 3,
          'border-style': 'double'
        }
      },
      { selector: 'node.selected', style: { 'border-width': 4, 'border-color': c.selected } },
      { selector: 'node.band', style: { events: 'no', 'border-width': 0, label: '' } },
      {
        selector: 'node.band-box',
        style: {
          shape: 'round-rectangle',
          width: 'data(width)',
          height: 'data(height)',
          'background-color': c.band,
          'background-opacity': 0.6,
          'border-width': 1,
          'border-style': 'dashed',
          'border-color': c.edge,
          'z-index': 0
        }
      },
      {
        selector: 'node.band-label',
        style: {
          width: 1,
          height: 1,
          'background-opacity': 0,
          label: 'data(label)',
          'text-valign': 'center',
          'text-wrap': 'none',
          color: c.muted,
          'text-background-color': c.band,
          'text-background-opacity': 1,
          'text-background-padding': '2px',
          'text-background-shape': 'roundrectangle',
          'z-index': 3
        }
      },
      {
        selector: 'edge',
        style: {
          width: 1.5,
          'line-color': c.edge,
          'target-arrow-color': c.edge,
          // Routes and arrowheads cost cytoscape per edge: in large graphs, haystack lines (the
          // cheapest it draws) from centre to centre, without arrowheads.
          'target-arrow-shape': large ? 'none' : 'triangle',
          'curve-style': large ? 'haystack' : 'straight',
          'haystack-radius': 0,
          'z-index-compare': 'manual',
          'z-index': 1
        }
      },
      // The route through the gaps between ranks and the room the layout kept in the ranks it
      // passes (edgeRoute.ts), so that an edge does not run across a node it does not join.
      ...(large
        ? []
        : [
            {
              selector: 'edge.bent',
              style: {
                'curve-style': 'segments',
                'edge-distances': 'node-position',
                'segment-weights': 'data(bendWeights)',
                'segment-distances': 'data(bendDistances)'
              }
            } as cytoscape.StylesheetJsonBlock
          ]),
      // Dashed lines are slow to draw without a GPU: in large graphs a join is a paler line.
      { selector: 'edge.join', style: large ? { 'line-opacity': 0.5 } : { 'line-style': 'dashed' } }
    ];
    for (const state of STATES) {
      const family = FAMILY_OF_STATE[state];
      rules.push({
        selector: `node.state-${state}`,
        style: {
          'background-color': c[state],
          'background-image': glyphUrl(family, glyphColor(c[state])),
          'background-width': '60%',
          'background-height': '60%',
          'background-clip': 'none',
          'border-style': FAMILY_LOOK[family].border,
          'border-width': FAMILY_LOOK[family].border === 'double' ? 3 : 2
        }
      });
    }
    // A collapsed group keeps its double frame and shows its states as segments, not a glyph.
    const groupStyle: Record<string, unknown> = {
      'border-style': 'double',
      'border-width': 3,
      'background-image': 'none',
      'pie-size': '80%'
    };
    STATES.forEach((state, i) => {
      groupStyle[`pie-${i + 1}-background-color`] = c[state];
      groupStyle[`pie-${i + 1}-background-size`] = `data(pie_${state})`;
    });
    rules.push({ selector: 'node.group', style: groupStyle as never });
    rules.push({ selector: 'node.selected', style: { 'border-width': 4, 'border-color': c.selected } });
    return rules;
  }

  private readonly _model: IPerQueueModel;
  private readonly _settings: () => IGraphSettings;
  private readonly _message: HTMLElement;
  private readonly _legend: GraphLegend;
  private readonly _overrides = new Map<string, boolean>();
  private readonly _tapped = new Signal<this, IGraphNode | null>(this);
  private readonly _contextRequested = new Signal<this, IGraphNode>(this);
  private readonly _rendered = new Signal<this, IGraphElements>(this);
  private readonly _resizeObserver: ResizeObserver | null = null;
  private readonly _stopThemeWatch: () => void;
  private readonly _labelCache = new Map<string, IShownLabel>();
  private _cy: cytoscape.Core | null = null;
  private _elements: IGraphElements | null = null;
  /** The model's entries and edges as last drawn (a copy of the list): changed entries are found by identity. */
  private _shown: PerQueue.Node[] | null = null;
  private _shownEdges: PerQueue.Edge[] | null = null;
  /** The setting the drawn graph was built with: a change builds it anew. */
  private _builtCollapseAbove: number | null = null;
  private _colors: Record<string, string> = {};
  private _paletteKey = '';
  private _labelFont = '';
  private _measureContext: CanvasRenderingContext2D | null = null;
  private _structure = '';
  private _layoutBox: IBox | null = null;
  private _updateTimer: ReturnType<typeof setTimeout> | null = null;
  private _large = false;
  private _layoutGeneration = 0;
  private _layoutPending = false;
  private _layoutRuns = 0;
  private _laidOutWithoutSize = false;
  private _highlighted: string | null = null;
  /** The viewport of the last fit (null once revealed elsewhere): a resize fits again only from it. */
  private _fitted: { zoom: number; x: number; y: number } | null = null;
  private _fittedReadable = false;
  private _revealAfterLayout: string | null = null;
}

interface IPosition {
  x: number;
  y: number;
}

/**
 * From this many nodes on, cytoscape is asked to draw cheaply (see _style): straight edges, not
 * routed ones; and less often. The guide (docs/guide/jupyterlab.md) states this size.
 */
const LARGE_GRAPH_NODES = 1000;
const LARGE_GRAPH_UPDATE_MS = 250;
/** The zoom "Show entry" brings a node to at least: its label readable. */
const REVEAL_ZOOM = 1;

/** What the layout depends on: the nodes (and a group's label, whose count may grow) and edges. */
function structureKey(elements: IGraphElements): string {
  const parts: string[] = [];
  for (const node of elements.nodes) {
    parts.push(node.entryId === null ? `${node.id}:${node.label}` : node.id);
  }
  for (const edge of elements.edges) {
    parts.push(edge.id);
  }
  return parts.join('\n');
}

/** A layout's answer as the view draws it. */
interface IPlaced {
  positions: Map<string, IPosition>;
  /** Each edge's route by `routeKey`; null in a large graph, whose edges are drawn straight. */
  routes: Map<string, IPoint[]> | null;
}

function placed(request: ILayoutRequest, result: ILayoutResult): IPlaced {
  const positions = new Map<string, IPosition>();
  request.ids.forEach((id, i) => positions.set(id, { x: result.positions[2 * i], y: result.positions[2 * i + 1] }));
  return { positions, routes: request.ids.length < LARGE_GRAPH_NODES ? edgeRoutes(request, result) : null };
}

/** Large graphs: a cached texture while panning or zooming, edges hidden meanwhile. */
function setViewportShortcuts(cy: cytoscape.Core, on: boolean): void {
  const renderer = (cy as unknown as { renderer(): { options?: Record<string, unknown> } }).renderer?.();
  if (renderer?.options) {
    renderer.options.textureOnViewport = on;
    renderer.options.hideEdgesOnViewport = on;
  }
}

/** What a drawn node's look depends on: it is restyled only when this changes. */
function nodeSignature(node: IGraphNode, label: IShownLabel | undefined, classes: string): string {
  return `${node.state}|${node.label}|${node.count}|${JSON.stringify(node.counts)}|${label?.text}|${classes}`;
}

function nodeData(node: IGraphNode, label: IShownLabel | undefined): Record<string, unknown> {
  return {
    id: node.id,
    label: node.label,
    shown: label?.text ?? node.label,
    state: node.state,
    kind: node.kind,
    entryId: node.entryId,
    groupKey: node.groupKey,
    count: node.count,
    summary: countsText(node.counts),
    ...pieData(node)
  };
}

/**
 * A collapsed group's share of entries per state (percent), drawn as the segments of a ring on
 * the node: its counts are seen without hovering.
 */
function pieData(node: IGraphNode): Record<string, number> {
  const out: Record<string, number> = {};
  if (node.entryId !== null) {
    return out;
  }
  const total = STATES.reduce((sum, state) => sum + (node.counts[state] ?? 0), 0);
  for (const state of STATES) {
    out[`pie_${state}`] = total ? (100 * (node.counts[state] ?? 0)) / total : 0;
  }
  return out;
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
