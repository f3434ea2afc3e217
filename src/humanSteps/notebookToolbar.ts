// The toolbar of a human step's notebook (a copy under human-steps/, or any notebook holding the
// injected parameters cell): which entry it is for and whether it still waits, with Approve,
// Edit result and Reject. The entry id is read from the injected cell (`pq_entry_id = N`) each
// time the notebook changes; the result offered is the kernel's `result` variable when it has
// one, as for notebook tasks.
import type { ISessionContext } from '@jupyterlab/apputils';
import type { INotebookModel, INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ToolbarButton } from '@jupyterlab/ui-components';
import type { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';

import { ICellLike, IInjectedParameters, isHumanStepPath, projectOfStepPath, readInjectedParameters } from './steps';
import type { HumanSteps } from './service';
import { CommandIDs } from '../tokens';

/** The step a notebook model was prepared for, from its cells. */
export function stepOfNotebook(model: INotebookModel | null): IInjectedParameters | null {
  if (!model) {
    return null;
  }
  const cells: ICellLike[] = [];
  for (let i = 0; i < model.cells.length; i++) {
    const cell = model.cells.get(i);
    if (cell.type !== 'code') {
      continue;
    }
    cells.push({
      cell_type: 'code',
      source: cell.sharedModel.getSource(),
      metadata: { tags: cell.getMetadata('tags') }
    });
  }
  return readInjectedParameters(cells);
}

type KernelResult =
  { status: 'ok'; value: Record<string, unknown> } | { status: 'none'; why: string } | { status: 'error'; why: string };

/**
 * The kernel's `result`, encoded with perqueue_lab's codec, read without running a cell (a silent
 * request with a user expression): a dict becomes JSON; anything else says why it cannot be used.
 */
const RESULT_EXPRESSION = [
  "__import__('IPython').display.JSON(__import__('perqueue_lab.codec', fromlist=['encode']).encode(dict(result), 'result'))",
  "if isinstance(globals().get('result'), dict)",
  "else (None if globals().get('result') is None else 'the notebook\\'s `result` is a ' + type(result).__name__ + ', not a dict')"
].join(' ');

async function kernelResult(sessionContext: ISessionContext): Promise<KernelResult> {
  const kernel = sessionContext.session?.kernel;
  if (!kernel) {
    return { status: 'none', why: 'The notebook has no running kernel.' };
  }
  const future = kernel.requestExecute({
    code: '',
    silent: true,
    store_history: false,
    user_expressions: { pq_result: RESULT_EXPRESSION }
  });
  const reply = await future.done;
  const content = reply.content as { status: string; user_expressions?: Record<string, any> };
  const answer = content.user_expressions?.pq_result as
    { status: 'ok'; data: Record<string, unknown> } | { status: 'error'; ename: string; evalue: string } | undefined;
  if (!answer) {
    return { status: 'none', why: 'The kernel did not answer.' };
  }
  if (answer.status !== 'ok') {
    const failed = answer as { ename: string; evalue: string };
    return { status: 'error', why: `The notebook's \`result\` cannot be used: ${failed.ename}: ${failed.evalue}` };
  }
  const json = answer.data['application/json'];
  if (json && typeof json === 'object' && !Array.isArray(json)) {
    return { status: 'ok', value: json as Record<string, unknown> };
  }
  const text = String(answer.data['text/plain'] ?? 'None');
  if (text === 'None') {
    return { status: 'none', why: 'The notebook has no `result` yet.' };
  }
  return { status: 'error', why: text.replace(/^['"]|['"]$/g, '').replace(/\\'/g, "'") };
}

/** Adds the step toolbar to every notebook that is a human step's copy, and keeps it current. */
export function addStepToolbars(tracker: INotebookTracker, steps: HumanSteps, commands: CommandRegistry): void {
  tracker.widgetAdded.connect((_, panel) => {
    new StepToolbar(panel, steps, commands);
  });
}

class StepToolbar {
  constructor(
    private readonly _panel: NotebookPanel,
    private readonly _steps: HumanSteps,
    private readonly _commands: CommandRegistry
  ) {
    void _panel.context.ready.then(() => {
      if (_panel.isDisposed) {
        return;
      }
      this._check();
      _panel.context.model.contentChanged.connect(this._schedule, this);
      _panel.context.pathChanged.connect(this._schedule, this);
      _steps.changed.connect(this._updateStatus, this);
      _panel.disposed.connect(() => {
        _steps.changed.disconnect(this._updateStatus, this);
        if (this._timer) {
          clearTimeout(this._timer);
        }
      });
    });
  }

  private _schedule(): void {
    if (this._timer) {
      return;
    }
    this._timer = setTimeout(() => {
      this._timer = null;
      if (!this._panel.isDisposed) {
        this._check();
      }
    }, 400);
  }

  private _check(): void {
    const step = stepOfNotebook(this._panel.context.model);
    this._entryId = step?.entryId ?? null;
    if (!step && !isHumanStepPath(this._panel.context.path)) {
      return; // not a step notebook (the toolbar, once added, stays and shows "no entry")
    }
    if (!this._added) {
      this._add();
    }
    this._updateStatus();
  }

  private _add(): void {
    this._added = true;
    const toolbar = this._panel.toolbar;
    this._status = new Widget({ node: document.createElement('span') });
    this._status.addClass('jp-PerQueue-step-status');
    this._approve = new ToolbarButton({
      className: 'jp-PerQueue-step-approve',
      label: 'Approve',
      tooltip: "Complete this step with the notebook's `result`",
      onClick: () => void this._approveWithKernelResult(false)
    });
    this._edit = new ToolbarButton({
      className: 'jp-PerQueue-step-edit',
      label: 'Edit result…',
      tooltip: 'Edit the result before completing this step',
      onClick: () => void this._approveWithKernelResult(true)
    });
    this._reject = new ToolbarButton({
      className: 'jp-PerQueue-step-reject',
      label: 'Reject…',
      tooltip: 'Reject this step, with a reason',
      onClick: () => {
        if (this._entryId !== null) {
          void this._commands.execute(CommandIDs.rejectStep, { entryId: this._entryId });
        }
      }
    });
    // First in the toolbar: what a step notebook is for stays in view when the panel is narrow
    // (the toolbar moves its last items into an overflow menu).
    const names = new Set(toolbar.names());
    const items: [string, Widget][] = [
      ['perqueue-step-status', this._status],
      ['perqueue-step-approve', this._approve],
      ['perqueue-step-edit', this._edit],
      ['perqueue-step-reject', this._reject]
    ];
    items.forEach(([name, widget], at) => {
      if (!names.has(name)) {
        toolbar.insertItem(at, name, widget);
      }
    });
  }

  private _updateStatus(): void {
    if (!this._status) {
      return;
    }
    const id = this._entryId;
    // Entry ids are per project: a step of a project the sidebar does not show must not be
    // answered with the shown project's entry of the same id.
    const project = projectOfStepPath(this._panel.context.path);
    const model = this._steps.model;
    const shown = model.project ?? model.versions?.project ?? null;
    const elsewhere = id !== null && project !== null && shown !== null && project !== shown;
    const waiting = id !== null && !elsewhere && this._steps.isWaiting(id);
    const node = this._status.node;
    node.dataset.entryId = id === null ? '' : String(id);
    node.dataset.waiting = String(waiting);
    if (elsewhere) {
      node.textContent = `Step #${id} of project ${project || '.'}`;
      node.title = `JupyterLab shows the project ${shown || '.'}: choose ${project || '.'} in the Workflows sidebar to answer this step`;
    } else if (id === null) {
      node.textContent = 'Step: no injected parameters cell';
      node.title = 'This notebook is in human-steps/ but has no cell with pq_entry_id';
    } else if (!this._steps.loaded) {
      node.textContent = `Step #${id}`;
      node.title = `The notebook of PerQueue entry #${id}`;
    } else {
      node.textContent = waiting ? `Step #${id} waiting` : `Step #${id} answered`;
      node.title = waiting
        ? `PerQueue entry #${id} waits for you: approve it with a result, or reject it`
        : `PerQueue entry #${id} is no longer waiting`;
    }
    const enabled = id !== null && !elsewhere && (waiting || !this._steps.loaded);
    for (const button of [this._approve, this._edit, this._reject]) {
      if (button && button.enabled !== enabled) {
        button.enabled = enabled;
      }
    }
  }

  private async _approveWithKernelResult(edit: boolean): Promise<void> {
    const entryId = this._entryId;
    if (entryId === null) {
      return;
    }
    let found: KernelResult;
    try {
      found = await kernelResult(this._panel.sessionContext);
    } catch (error) {
      found = { status: 'error', why: `The kernel's \`result\` could not be read: ${String(error)}` };
    }
    if (found.status === 'ok' && !edit) {
      await this._commands.execute(CommandIDs.approveStep, { entryId, data: found.value as any });
      return;
    }
    const initial = found.status === 'ok' ? JSON.stringify(found.value, null, 2) : '{}';
    await this._commands.execute(CommandIDs.approveStep, {
      entryId,
      initial,
      hint: found.status === 'ok' ? "The notebook's `result`; edit it before approving." : found.why
    });
  }

  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _entryId: number | null = null;
  private _added = false;
  private _status: Widget | null = null;
  private _approve: ToolbarButton | null = null;
  private _edit: ToolbarButton | null = null;
  private _reject: ToolbarButton | null = null;
}
