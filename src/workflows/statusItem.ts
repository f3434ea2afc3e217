// The status-bar item: how many entries run, wait in a queue and failed across the project, or that the
// bridge is unreachable. Clicking it opens the Workflows sidebar.
import { Widget } from '@lumino/widgets';

import { IPerQueueModel, PerQueue } from '../tokens';

/** 1959 as "1,959", whatever the browser's locale: the status bar reads the same everywhere. */
function count(n: number): string {
  return n.toLocaleString('en-US');
}

export function statusText(
  workflows: ReadonlyArray<PerQueue.WorkflowSummary>,
  connection: PerQueue.ConnectionInfo
): string {
  if (connection.status === 'unavailable') {
    return 'PerQueue: bridge unavailable';
  }
  let running = 0;
  let queued = 0;
  let failed = 0;
  let waiting = 0;
  for (const w of workflows) {
    const counts = w.counts as Record<string, number>;
    running += counts.running ?? 0;
    queued += counts.queued ?? 0;
    failed += (counts.failed ?? 0) + (counts.timed_out ?? 0);
    waiting += counts.awaiting_input ?? 0;
  }
  // Running and queued apart: a scheduler holding 1,959 jobs is not 1,961 at work.
  const parts = [`${count(running)} running`];
  if (queued) {
    parts.push(`${count(queued)} queued`);
  }
  if (failed) {
    parts.push(`${count(failed)} failed`);
  }
  if (waiting) {
    parts.push(`${count(waiting)} awaiting input`);
  }
  return `PerQueue: ${parts.join(' · ')}${connection.status === 'reconnecting' ? ' (reconnecting)' : ''}`;
}

export class PerQueueStatus extends Widget {
  constructor(
    private readonly _model: IPerQueueModel,
    onClick: () => void
  ) {
    super();
    this.addClass('jp-PerQueue-status');
    this.node.title = 'PerQueue workflows';
    this.node.addEventListener('click', onClick);
    _model.workflowsChanged.connect(this._render, this);
    _model.connectionChanged.connect(this._render, this);
    this._render();
  }

  dispose(): void {
    if (!this.isDisposed) {
      this._model.workflowsChanged.disconnect(this._render, this);
      this._model.connectionChanged.disconnect(this._render, this);
    }
    super.dispose();
  }

  private _render(): void {
    this.node.textContent = statusText(this._model.workflows, this._model.connection);
    this.node.dataset.status = this._model.connection.status;
  }
}
