// The graph panel of one workflow: the live graph view (view.ts) next to the details pane
// of the clicked entry. It follows the model's live updates; it never talks to the server itself.
import type { CommandRegistry } from '@lumino/commands';
import { Signal } from '@lumino/signaling';
import { SplitPanel } from '@lumino/widgets';
import type cytoscape from 'cytoscape';

import type { IGraphElements, IGraphNode } from './elements';
import { IPerQueueModel } from '../tokens';
import { EntryDetails } from '../workflows/details';
import { graphTabTitle } from './tabTitle';
import { IGraphSettings, WorkflowGraphView } from './view';

interface IGraphPanelOptions {
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

    this._graph = new WorkflowGraphView({
      model: options.model,
      workflowId: options.workflowId,
      settings: options.settings
    });
    this._details = new EntryDetails({
      model: options.model,
      commands: options.commands,
      logTail: () => this._settings().logTail,
      setGroupCollapsed: (key, collapsed) => this.setGroupCollapsed(key, collapsed)
    });
    this.addWidget(this._graph);
    this.addWidget(this._details);
    this.setRelativeSizes([3, 2]);
    this._graph.rendered.connect(this._onRendered, this);
    this._graph.tapped.connect(this._onTap, this);
    // A right-click selects the entry, as a click does, so the menu acts on what the pane shows.
    this._graph.contextRequested.connect((_, shown) => this._onTap(this._graph, shown), this);
  }

  readonly workflowId: number;

  /** The entry whose details are shown, for the perqueue:* commands. */
  get selectedEntryId(): number | null {
    return this._details.entryId;
  }

  get selectionChanged(): Signal<this, number | null> {
    return this._selectionChanged;
  }

  /** The graph view (the canvas), shared with the notebook widget. */
  get graph(): WorkflowGraphView {
    return this._graph;
  }

  /** The cytoscape instance (for tests and for extensions that add overlays). */
  get cytoscape(): cytoscape.Core | null {
    return this._graph.cytoscape;
  }

  get elements(): IGraphElements | null {
    return this._graph.elements;
  }

  fit(): void {
    this._graph.fit();
  }

  relayout(): void {
    this._graph.relayout();
  }

  setGroupCollapsed(key: string, collapsed: boolean): void {
    this._graph.setGroupCollapsed(key, collapsed);
  }

  setAllGroupsCollapsed(collapsed: boolean): void {
    this._graph.setAllGroupsCollapsed(collapsed);
  }

  /** Shows an entry's details and highlights it, as a click on it does; `reveal` also brings it into view. */
  selectEntry(entryId: number, reveal = false): void {
    const node = this._model.node(this.workflowId, entryId);
    if (!node) {
      return;
    }
    const shown = this._graph.elements?.nodes.find(n => n.entryId === entryId);
    this._graph.highlight(shown?.id ?? null);
    if (reveal && shown) {
      this._graph.reveal(shown.id);
    }
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

  private _onRendered(view: WorkflowGraphView): void {
    const title = graphTabTitle(view.workflowName, this.workflowId);
    this.title.label = title.label;
    this.title.caption = title.caption;
    this.node.dataset.nodeCount = view.node.dataset.nodeCount ?? '0';
    this.node.dataset.entryCount = view.node.dataset.entryCount ?? '0';
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

  private _onTap(_: WorkflowGraphView, shown: IGraphNode | null): void {
    if (!shown) {
      this._graph.highlight(null);
      return;
    }
    this._graph.highlight(shown.id);
    if (shown.entryId !== null) {
      const node = this._model.node(this.workflowId, shown.entryId);
      if (node) {
        this._shownState = node.state;
        void this._details.showEntry(node, shown.groupKey);
        this._selectionChanged.emit(node.id);
      }
    } else if (shown.groupKey) {
      const group = this._graph.elements?.groups.get(shown.groupKey);
      if (group) {
        this._details.showGroup(group, shown.counts);
        this._selectionChanged.emit(null);
      }
    }
  }

  private readonly _model: IPerQueueModel;
  private readonly _settings: () => IGraphSettings;
  private readonly _graph: WorkflowGraphView;
  private readonly _details: EntryDetails;
  private readonly _selectionChanged = new Signal<this, number | null>(this);
  private _shownState = '';
}
