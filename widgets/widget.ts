// The notebook widget `WorkflowGraph` (perqueue_lab/widgets.py): the same live graph as the
// workflow panel, in a cell's output. The kernel sends only which workflow of which project to
// show; the view follows the bridge through the shared PerQueue model, so it keeps changing while
// the kernel is busy, interrupted or restarted. Cytoscape is created once the output is in the
// page. This module exports the model and view classes only (the widget registry's rule).
import { DOMWidgetModel, DOMWidgetView, ISerializers } from '@jupyter-widgets/base';
import type { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { button, clear, el } from '../src/ui';
import { stateLabel, WorkflowGraphView as GraphCanvas } from '../src/graph';
import { CommandIDs, IPerQueueModel, PerQueue } from '../src/tokens';
import { IWidgetContext, widgetContext } from './context';
import { MODULE_NAME, MODULE_VERSION } from './version';

export class WorkflowGraphModel extends DOMWidgetModel {
  defaults() {
    return {
      ...super.defaults(),
      _model_name: WorkflowGraphModel.model_name,
      _model_module: WorkflowGraphModel.model_module,
      _model_module_version: WorkflowGraphModel.model_module_version,
      _view_name: WorkflowGraphModel.view_name,
      _view_module: WorkflowGraphModel.view_module,
      _view_module_version: WorkflowGraphModel.view_module_version,
      workflow_id: 0,
      project: '',
      height: '420px'
    };
  }

  static serializers: ISerializers = { ...DOMWidgetModel.serializers };

  static model_name = 'WorkflowGraphModel';
  static model_module = MODULE_NAME;
  static model_module_version = MODULE_VERSION;
  static view_name = 'WorkflowGraphView';
  static view_module = MODULE_NAME;
  static view_module_version = MODULE_VERSION;
}

/** Paths compared as the server writes them: no trailing slash. */
function samePath(a: string, b: string): boolean {
  const clean = (p: string) => p.replace(/\/+$/, '');
  return clean(a) === clean(b);
}

export class WorkflowGraphView extends DOMWidgetView {
  render(): void {
    this.el.classList.add('jp-PerQueue-widget');
    this._header = el('div', 'jp-PerQueue-widget-header');
    this._title = el('span', 'jp-PerQueue-widget-title');
    this._summary = el('span', 'jp-PerQueue-widget-summary');
    this._actions = el('span', 'jp-PerQueue-widget-actions');
    this._header.append(this._title, this._summary, this._actions);
    this._message = el('div', 'jp-PerQueue-widget-message');
    this._message.hidden = true;
    this._host = el('div', 'jp-PerQueue-widget-canvas');
    this.el.append(this._header, this._message, this._host);

    this._applyHeight();
    this.listenTo(this.model, 'change:height', () => this._applyHeight());
    this.listenTo(this.model, 'change:workflow_id change:project', () => this._mount());
    void this.displayed.then(() => {
      this._displayed = true;
      this._mount();
    });
  }

  remove(): void {
    this._unmount();
    this._context?.model.connectionChanged.disconnect(this._onConnection, this);
    this._context?.model.projectChanged.disconnect(this._onProject, this);
    return super.remove();
  }

  processLuminoMessage(msg: Message): void {
    super.processLuminoMessage(msg);
    if (msg.type === 'resize' || msg.type === 'after-show') {
      this._graph?.fit();
    }
  }

  private get _workflowId(): number {
    return Number(this.model.get('workflow_id')) || 0;
  }

  private _applyHeight(): void {
    const height = String(this.model.get('height') || '420px');
    this._host.style.height = height;
  }

  /** (Re)creates the graph for the current workflow, once the output is in the page. */
  private _mount(): void {
    if (!this._displayed) {
      return;
    }
    this._unmount();
    const workflowId = this._workflowId;
    this.el.dataset.workflowId = String(workflowId);
    this._title.textContent = workflowId ? `Workflow #${workflowId}` : 'Workflow';
    const context = widgetContext();
    if (!context) {
      this._showMessage('The PerQueue Lab extension is not active in this JupyterLab: the graph cannot be shown.');
      return;
    }
    if (this._context !== context) {
      this._context?.model.connectionChanged.disconnect(this._onConnection, this);
      this._context?.model.projectChanged.disconnect(this._onProject, this);
      this._context = context;
      context.model.connectionChanged.connect(this._onConnection, this);
      context.model.projectChanged.connect(this._onProject, this);
    }
    if (!workflowId) {
      this._showMessage('No workflow to show (workflow_id is 0).');
      return;
    }
    const project = String(this.model.get('project') || '');
    const versions = context.model.versions;
    if (project && !versions) {
      // The handshake is still on its way: _onConnection mounts again when it is done.
      this._showMessage('Connecting to the bridge…');
      return;
    }
    const served = versions?.projectDir ?? '';
    if (project && served && !samePath(project, served)) {
      this._showMessage(
        `Workflow #${workflowId} belongs to the project ${project}; JupyterLab shows the project ${served}. ` +
          'Choose that project in the Workflows sidebar (when it is below the folder JupyterLab serves) to see its graph.'
      );
      void this._offerProject(context, project);
      return;
    }
    this._showMessage('');
    this._buildActions(context, workflowId);
    const graph = new GraphCanvas({ model: context.model, workflowId, settings: context.settings });
    this._graph = graph;
    graph.rendered.connect(() => this._onRendered(context.model, workflowId), this);
    graph.tapped.connect((_, shown) => {
      if (shown?.entryId !== null && shown?.entryId !== undefined) {
        void context.commands.execute(CommandIDs.showEntry, { workflowId, entryId: shown.entryId });
      }
    });
    Widget.attach(graph, this._host);
  }

  private _unmount(): void {
    const graph = this._graph;
    this._graph = null;
    if (graph) {
      if (graph.isAttached) {
        Widget.detach(graph);
      }
      graph.dispose();
    }
    clear(this._actions);
  }

  private _onConnection(model: IPerQueueModel, info: PerQueue.ConnectionInfo): void {
    if (!this._graph && this._displayed && model.versions && info.status !== 'unavailable') {
      this._mount();
    }
  }

  private _buildActions(context: IWidgetContext, workflowId: number): void {
    clear(this._actions);
    this._actions.append(
      button('Fit', 'jp-PerQueue-widget-fit', () => this._graph?.fit(), 'Fit the graph to the output'),
      button(
        'Open in panel',
        'jp-PerQueue-widget-open',
        () => void context.commands.execute(CommandIDs.openWorkflow, { workflowId }),
        'Open this workflow in a graph panel, with the details of its entries'
      ),
      button(
        'Timeline',
        'jp-PerQueue-widget-timeline',
        () => void context.commands.execute(CommandIDs.showTimeline, { workflowId }),
        'Open the timeline of this workflow: when each entry waited in the queue, ran and ended'
      )
    );
  }

  private _onRendered(model: IPerQueueModel, workflowId: number): void {
    const detail = model.workflow(workflowId);
    const graph = this._graph;
    if (!detail || !graph) {
      return;
    }
    this._title.textContent = `${detail.workflow.name || 'Workflow'} #${workflowId}`;
    const summary = graph.node.dataset.states ?? '';
    this.el.dataset.states = summary;
    this.el.dataset.entryCount = graph.node.dataset.entryCount ?? '0';
    this._summary.textContent = summary
      .split(' ')
      .filter(Boolean)
      .map(part => {
        const [state, n] = part.split(':');
        return `${n} ${stateLabel(state)}`;
      })
      .join(' · ');
  }

  /** The widget's project is one the server can show: a button shows it. */
  private async _offerProject(context: NonNullable<ReturnType<typeof widgetContext>>, dir: string): Promise<void> {
    let projects: PerQueue.Project[] = [];
    try {
      projects = await context.model.projects();
    } catch {
      return;
    }
    const match = projects.find(p => samePath(p.dir, dir));
    if (!match || this._graph) {
      return;
    }
    const show = el(
      'button',
      'jp-PerQueue-widget-show-project jp-mod-styled',
      `Show ${match.name || 'that project'} in JupyterLab`
    );
    show.addEventListener('click', () => void context.model.setProject(match.default ? null : match.name));
    clear(this._actions);
    this._actions.append(show);
  }

  /** Another project is shown: this graph's data is gone; mount again (graph or message). */
  private _onProject(): void {
    if (this._displayed) {
      this._unmount();
      this._mount();
    }
  }

  private _showMessage(text: string): void {
    this._message.textContent = text;
    this._message.hidden = !text;
    this._host.hidden = !!text;
  }

  private _header!: HTMLElement;
  private _title!: HTMLElement;
  private _summary!: HTMLElement;
  private _actions!: HTMLElement;
  private _message!: HTMLElement;
  private _host!: HTMLElement;
  private _graph: GraphCanvas | null = null;
  private _context: IWidgetContext | null = null;
  private _displayed = false;
}
