// The "PerQueue archive" document: an archived project database (a copy of
// .perqueue/perqueue.sqlite) read in the browser. The list of its workflows on the left; the
// chosen one in the same graph panel as live workflows, read-only: its actions are shown
// disabled and nothing reaches a bridge.
import { PathExt } from '@jupyterlab/coreutils';
import type { DocumentRegistry } from '@jupyterlab/docregistry';
import { CommandRegistry } from '@lumino/commands';
import { BoxPanel, Panel, SplitPanel, Widget } from '@lumino/widgets';

import { stateLabel } from '../graph';
import { clear, el, formatTime } from '../ui';
import { GraphPanel, type IGraphSettings } from '../graph';
import { CommandIDs } from '../tokens';
import { ArchiveModel } from './model';
import { fileProblem } from './problems';

/** Decodes the contents API's base64 (it may hold line breaks). */
function fromBase64(text: string): Uint8Array {
  const binary = atob(text.replace(/\s+/g, ''));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) {
    bytes[i] = binary.charCodeAt(i);
  }
  return bytes;
}

/** The entry actions, hidden: an archive cannot be changed, so the details pane offers none. */
function readOnlyCommands(): CommandRegistry {
  const commands = new CommandRegistry();
  for (const id of [CommandIDs.retryEntry, CommandIDs.cancelEntry, CommandIDs.approveStep, CommandIDs.rejectStep]) {
    commands.addCommand(id, {
      label: '',
      isVisible: () => false,
      isEnabled: () => false,
      execute: () => undefined
    });
  }
  return commands;
}

/** Where the archive's bytes come from: a document's context, or a file picked in the browser. */
export interface IArchiveSource {
  readonly path: string;
  readonly ready: Promise<void>;
  /** The file's content as base64. */
  readonly model: { toString(): string };
}

interface IArchiveViewOptions {
  context: DocumentRegistry.Context | IArchiveSource;
  settings: () => IGraphSettings;
  /** Opens the bytes; replaced in tests. */
  open?: (bytes: Uint8Array) => Promise<ArchiveModel>;
  /** The size of a `-wal` file beside `path`, or null when there is none. */
  walSize?: (path: string) => Promise<number | null>;
}

export class ArchiveView extends BoxPanel {
  constructor(options: IArchiveViewOptions) {
    super({ direction: 'top-to-bottom', spacing: 0 });
    this._options = options;
    this.addClass('jp-PerQueue-archive');
    this._header = new Widget();
    this._header.addClass('jp-PerQueue-archive-header');
    this._list = new Widget();
    this._list.addClass('jp-PerQueue-archive-list');
    this._list.node.setAttribute('role', 'list');
    this._host = new Panel();
    this._host.addClass('jp-PerQueue-archive-graph');
    const split = new SplitPanel({ orientation: 'horizontal', spacing: 1 });
    split.addWidget(this._list);
    split.addWidget(this._host);
    split.setRelativeSizes([1, 4]);
    this.addWidget(this._header);
    this.addWidget(split);
    BoxPanel.setStretch(this._header, 0);
    BoxPanel.setStretch(split, 1);
    this._renderHeader('Reading the database…');
    void options.context.ready.then(() => this._load());
  }

  /** The archive once read. */
  get model(): ArchiveModel | null {
    return this._model;
  }

  /** The graph panel shown, if any. */
  get graph(): GraphPanel | null {
    return this._graph;
  }

  /** Shows a workflow of the archive in the graph panel. */
  showWorkflow(id: number): GraphPanel | null {
    if (!this._model) {
      return null;
    }
    this._graph?.dispose();
    this._graph = new GraphPanel({
      model: this._model,
      commands: this._commands,
      workflowId: id,
      settings: this._options.settings
    });
    this._graph.addClass('jp-mod-readOnly');
    this._host.addWidget(this._graph);
    for (const item of this._list.node.querySelectorAll('.jp-PerQueue-workflow')) {
      item.classList.toggle('jp-mod-selected', (item as HTMLElement).dataset.workflowId === String(id));
    }
    return this._graph;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._graph?.dispose();
    this._model?.dispose();
    super.dispose();
  }

  private async _load(): Promise<void> {
    const started = performance.now();
    const path = this._options.context.path;
    let bytes: Uint8Array;
    try {
      bytes = fromBase64(this._options.context.model.toString());
      const problem = fileProblem(PathExt.basename(path), bytes, (await this._options.walSize?.(path)) ?? null);
      if (problem) {
        this._renderHeader(problem, true);
        this.node.dataset.status = 'error';
        return;
      }
    } catch (error) {
      this._renderHeader(`Cannot read this file: ${(error as Error)?.message ?? error}`, true);
      this.node.dataset.status = 'error';
      return;
    }
    try {
      const open = this._options.open ?? ((b: Uint8Array) => ArchiveModel.open(b));
      this._model = await open(bytes);
    } catch (error) {
      this._renderHeader(`Cannot open this file as a workflow archive: ${(error as Error)?.message ?? error}`, true);
      this.node.dataset.status = 'error';
      return;
    }
    const workflows = [...this._model.workflows].sort((a, b) => b.id - a.id);
    this._renderHeader(
      `Archived PerQueue database, read-only · ${workflows.length} workflow${workflows.length === 1 ? '' : 's'} · read in ${Math.round(performance.now() - started)} ms`
    );
    this.node.dataset.status = 'ready';
    this.node.dataset.workflowCount = String(workflows.length);
    clear(this._list.node);
    for (const w of workflows) {
      const item = el('div', 'jp-PerQueue-workflow');
      item.setAttribute('role', 'listitem');
      item.tabIndex = 0;
      item.dataset.workflowId = String(w.id);
      const title = el('div', 'jp-PerQueue-workflow-head');
      title.appendChild(el('span', 'jp-PerQueue-workflow-name', w.name));
      title.appendChild(el('span', 'jp-PerQueue-workflow-id', `#${w.id}`));
      item.appendChild(title);
      const facts = el('div', 'jp-PerQueue-workflow-meta');
      facts.appendChild(el('span', `jp-PerQueue-chip jp-PerQueue-state-${w.state}`, stateLabel(w.state)));
      facts.appendChild(el('span', 'jp-PerQueue-workflow-count', ` ${w.total} entries`));
      facts.appendChild(el('span', 'jp-PerQueue-workflow-time', ` · ${formatTime(w.createdAt)}`));
      item.appendChild(facts);
      const open = () => this.showWorkflow(w.id);
      item.addEventListener('click', open);
      item.addEventListener('keydown', event => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          open();
        }
      });
      this._list.node.appendChild(item);
    }
    if (!workflows.length) {
      this._list.node.appendChild(el('p', 'jp-PerQueue-details-hint', 'This database holds no workflow.'));
    } else if (workflows.length === 1) {
      this.showWorkflow(workflows[0].id);
    }
  }

  private _renderHeader(text: string, error = false): void {
    clear(this._header.node);
    const badge = el('span', 'jp-PerQueue-archive-badge', 'Read-only');
    this._header.node.appendChild(badge);
    this._header.node.appendChild(
      el('span', error ? 'jp-PerQueue-archive-error' : 'jp-PerQueue-archive-summary', text)
    );
  }

  private readonly _options: IArchiveViewOptions;
  private readonly _header: Widget;
  private readonly _list: Widget;
  private readonly _host: Panel;
  private readonly _commands = readOnlyCommands();
  private _model: ArchiveModel | null = null;
  private _graph: GraphPanel | null = null;
}
