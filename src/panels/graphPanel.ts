// The graph panel of one workflow: a cytoscape canvas in layered (dagre) layout, coloured by
// state, width groups collapsed to one node with counts, and the details pane of the clicked
// entry. The graph follows the model's live updates; it never talks to the server itself.
import type { CommandRegistry } from '@lumino/commands';
import { Message } from '@lumino/messaging';
import { Signal } from '@lumino/signaling';
import { SplitPanel, Widget } from '@lumino/widgets';
import cytoscape from 'cytoscape';
import dagre from 'cytoscape-dagre';

import { isPlaceholder, type RtKind } from '../../core/model.js';
import { buildGraph, countsText, IGraphElements, IGraphNode } from '../graph';
import { IPerQueueModel, PerQueue } from '../tokens';
import { el } from './dom';
import { EntryDetails } from './details';

cytoscape.use(dagre);

export interface IGraphSettings {
  collapseWidthAbove: number;
  layoutDirection: 'TB' | 'LR';
  logTail: number;
}

export const DEFAULT_GRAPH_SETTINGS: IGraphSettings = { collapseWidthAbove: 4, layoutDirection: 'TB', logTail: 200 };

const STATES = [
  'waiting',
  'queued',
  'running',
  'succeeded',
  'discarded',
  'failed',
  'timed_out',
  'cancelled',
  'skipped',
  'blocked',
  'awaiting_input',
];

export interface IGraphPanelOptions {
  model: IPerQueueModel;
  commands: CommandRegistry;
  workflowId: number;
  settings: () => IGraphSettings;
}

export class GraphPanel extends SplitPanel {
  constructor(options: IGraphPanelOptions) {
    super({ orientation: 'horizontal', spacing: 1 });
    this._model = options.model;
    this._settings = options.settings;
    this.workflowId = options.workflowId;
    this.id = `perqueue-graph-${options.workflowId}`;
    this.addClass('jp-PerQueue-graph');
    this.node.dataset.workflowId = String(options.workflowId);

    this._canvas = new Widget();
    this._canvas.addClass('jp-PerQueue-graph-canvas');
    this._canvas.node.tabIndex = 0;
    this._canvas.node.setAttribute('role', 'img');
    this._canvas.node.setAttribute('aria-label', 'Workflow graph');
    this._message = el('div', 'jp-PerQueue-graph-message');
    this._canvas.node.appendChild(this._message);
    this._details = new EntryDetails({
      model: options.model,
      commands: options.commands,
      logTail: () => this._settings().logTail,
      setGroupCollapsed: (key, collapsed) => this.setGroupCollapsed(key, collapsed),
    });
    this.addWidget(this._canvas);
    this.addWidget(this._details);
    this.setRelativeSizes([3, 2]);

    this._model.workflowChanged.connect(this._onWorkflowChanged, this);
    this._showMessage('Loading…');
    this._model.loadWorkflow(this.workflowId).then(
      () => this._update(),
      (error) => this._showMessage(`Cannot load workflow #${this.workflowId}: ${error?.message ?? error}`),
    );
  }

  readonly workflowId: number;

  /** The entry whose details are shown, for the perqueue:* commands. */
  get selectedEntryId(): number | null {
    return this._details.entryId;
  }

  get selectionChanged(): Signal<this, number | null> {
    return this._selectionChanged;
  }

  /** The cytoscape instance (for tests and for extensions that add overlays). */
  get cytoscape(): cytoscape.Core | null {
    return this._cy;
  }

  get elements(): IGraphElements | null {
    return this._elements;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._model.workflowChanged.disconnect(this._onWorkflowChanged, this);
    this._model.releaseWorkflow(this.workflowId);
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

  /** Shows an entry's details and highlights it, as a click on it does. */
  selectEntry(entryId: number): void {
    const node = this._model.node(this.workflowId, entryId);
    if (!node) {
      return;
    }
    const shown = this._elements?.nodes.find((n) => n.entryId === entryId);
    this._highlight(shown?.id ?? null);
    void this._details.showEntry(node, shown?.groupKey ?? null);
    this._selectionChanged.emit(entryId);
  }

  /** Shows the details again (after an action changed the entry). */
  refreshDetails(): void {
    const id = this._details.entryId;
    if (id !== null) {
      this.selectEntry(id);
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
    this._cy?.resize();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._cy?.resize();
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
    this.title.label = detail.workflow.name || `Workflow #${this.workflowId}`;
    const settings = this._settings();
    const elements = buildGraph(detail, { collapseAbove: settings.collapseWidthAbove, overrides: this._overrides });
    this._elements = elements;
    this.node.dataset.nodeCount = String(elements.nodes.length);
    this.node.dataset.entryCount = String(detail.nodes.length);
    if (detail.nodes.length === 0) {
      this._showMessage('This workflow has no entries yet.');
    } else {
      this._showMessage('');
    }
    if (!this.isAttached) {
      return;
    }
    let structureChanged = false;
    if (!this._cy) {
      this._cy = cytoscape({
        container: this._canvas.node,
        elements: [],
        style: this._style(),
        minZoom: 0.05,
        maxZoom: 3,
        wheelSensitivity: 0.3,
        boxSelectionEnabled: false,
        autoungrabify: true,
      });
      this._cy.on('tap', 'node', (event) => this._onTap(event.target.id()));
      this._cy.on('tap', (event) => {
        if (event.target === this._cy) {
          this._highlight(null);
        }
      });
      structureChanged = true;
    }
    const cy = this._cy;
    const palette = this._palette();
    if (palette !== this._paletteKey) {
      cy.style(this._style());
    }
    cy.batch(() => {
      const wanted = new Set<string>();
      for (const node of elements.nodes) {
        wanted.add(node.id);
        const data = nodeData(node);
        const existing = cy.getElementById(node.id);
        if (existing.nonempty()) {
          existing.data(data);
          existing.classes(nodeClasses(node, node.id === this._highlighted));
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
    this._refreshSelection();
  }

  private _refreshSelection(): void {
    const id = this._details.entryId;
    if (id === null) {
      return;
    }
    const node = this._model.node(this.workflowId, id);
    if (node && node.state !== this._shownState) {
      this._shownState = node.state;
      this.selectEntry(id);
    }
  }

  private _onTap(id: string): void {
    const shown = this._elements?.nodes.find((n) => n.id === id);
    if (!shown) {
      return;
    }
    this._highlight(id);
    if (shown.entryId !== null) {
      const node = this._model.node(this.workflowId, shown.entryId);
      if (node) {
        this._shownState = node.state;
        void this._details.showEntry(node, shown.groupKey);
        this._selectionChanged.emit(node.id);
      }
    } else if (shown.groupKey) {
      const group = this._elements?.groups.get(shown.groupKey);
      if (group) {
        this._details.showGroup(group, shown.counts);
        this._selectionChanged.emit(null);
      }
    }
  }

  private _highlight(id: string | null): void {
    const cy = this._cy;
    if (!cy) {
      this._highlighted = id;
      return;
    }
    this._highlighted = id;
    cy.nodes('.selected').removeClass('selected');
    if (id) {
      cy.getElementById(id).addClass('selected');
    }
  }

  private _runLayout(): void {
    const cy = this._cy;
    if (!cy || cy.nodes().empty()) {
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
    this._canvas.node.dataset.layoutRuns = String(++this._layoutRuns);
  }

  private _showMessage(text: string): void {
    this._message.textContent = text;
    this._message.hidden = !text;
  }

  /** Colours come from the theme's CSS variables, read again when the theme changes. */
  private _palette(): string {
    const style = getComputedStyle(this._canvas.node);
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
  private readonly _canvas: Widget;
  private readonly _details: EntryDetails;
  private readonly _message: HTMLElement;
  private readonly _overrides = new Map<string, boolean>();
  private readonly _selectionChanged = new Signal<this, number | null>(this);
  private _cy: cytoscape.Core | null = null;
  private _elements: IGraphElements | null = null;
  private _colors: Record<string, string> = {};
  private _paletteKey = '';
  private _shownState = '';
  private _layoutRuns = 0;
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

/** The selected entry's node, for the status of commands. */
export function selectedNode(panel: GraphPanel | null, model: IPerQueueModel): PerQueue.Node | null {
  if (!panel || panel.selectedEntryId === null) {
    return null;
  }
  return model.node(panel.workflowId, panel.selectedEntryId);
}
