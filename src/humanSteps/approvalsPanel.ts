// The Approvals panel: every manual step waiting for a person, across the project's workflows,
// with Open (its notebook copy), Approve and Reject. It renders the HumanSteps list and runs the
// perqueue:* commands; everything a workflow or a person wrote is set as text.
import type { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';

import { IApproval, outcomeText, stepLabel, timeLeft } from './steps';
import { formOfStep } from './form';
import type { HumanSteps } from './service';
import { CommandIDs } from '../tokens';
import { button, clear, el, formatTime, sidebarHeader } from '../ui';

export class ApprovalsPanel extends Widget {
  constructor(
    private readonly _steps: HumanSteps,
    private readonly _commands: CommandRegistry
  ) {
    super();
    this.id = 'perqueue-approvals';
    this.addClass('jp-PerQueue-approvals');
    this.title.caption = 'PerQueue: human steps waiting for you';

    const refresh = () => void this._steps.refresh().catch(() => undefined);
    this.node.appendChild(
      sidebarHeader('Human steps', 'jp-PerQueue-approvals-refresh', refresh, 'Load the waiting steps again')
    );
    this._banner = el('div', 'jp-PerQueue-banner');
    this._banner.hidden = true;
    this.node.appendChild(this._banner);
    this._list = el('ul', 'jp-PerQueue-approval-list');
    this._list.setAttribute('aria-label', 'Human steps waiting for a person');
    this.node.appendChild(this._list);

    this._steps.changed.connect(this._render, this);
    this._steps.model.workflowsChanged.connect(this._render, this);
    this._render();
    // The "times out in" texts move on by themselves.
    this._clock = setInterval(() => this._updateClocks(), 15000);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    clearInterval(this._clock);
    this._steps.changed.disconnect(this._render, this);
    this._steps.model.workflowsChanged.disconnect(this._render, this);
    super.dispose();
  }

  private _render(): void {
    const items = this._steps.items;
    this.title.label = items.length ? `Steps (${items.length})` : '';
    this.node.dataset.count = String(items.length);
    const error = this._steps.error;
    this._banner.hidden = !error;
    this._banner.textContent = error ? `The waiting steps cannot be loaded: ${error}` : '';
    clear(this._list);
    if (!items.length) {
      const text = this._steps.loaded || error ? 'No step is waiting for a person.' : 'Loading…';
      this._list.appendChild(el('li', 'jp-PerQueue-empty', text));
      return;
    }
    for (const item of items) {
      this._list.appendChild(this._item(item));
    }
  }

  private _item(item: IApproval): HTMLElement {
    const { node, spec } = item;
    const li = el('li', 'jp-PerQueue-approval');
    li.dataset.entryId = String(node.id);
    li.dataset.workflowId = String(node.workflowId);

    const head = el('div', 'jp-PerQueue-approval-head');
    head.appendChild(el('span', 'jp-PerQueue-approval-name', stepLabel(node)));
    const form = formOfStep(spec);
    const chip = spec.notebook ? 'notebook' : form ? 'form' : 'waiting';
    head.appendChild(el('span', 'jp-PerQueue-chip jp-PerQueue-state-awaiting_input', chip));
    li.appendChild(head);

    const workflow = this._steps.model.workflows.find(w => w.id === node.workflowId);
    const where = `${workflow?.name || 'workflow'} #${node.workflowId} · entry #${node.id}`;
    li.appendChild(el('div', 'jp-PerQueue-approval-meta', where));
    const since = node.startedAt ?? node.createdAt;
    const when = el('div', 'jp-PerQueue-approval-meta jp-PerQueue-approval-clock');
    when.dataset.since = String(since ?? '');
    when.dataset.deadline = String(node.deadline ?? '');
    when.dataset.timeout = spec.default ? 'its default applies' : 'it times out';
    when.textContent = clockText(since, node.deadline, when.dataset.timeout);
    li.appendChild(when);
    li.appendChild(el('div', 'jp-PerQueue-approval-meta', outcomeText(spec)));

    const actions = el('div', 'jp-PerQueue-details-actions');
    const args = { entryId: node.id, workflowId: node.workflowId };
    if (spec.notebook) {
      actions.appendChild(
        button(
          'Open',
          'jp-PerQueue-approval-open',
          () => void this._commands.execute(CommandIDs.openStep, args),
          'Open the notebook prepared for this step, with its inputs'
        )
      );
    }
    actions.appendChild(
      button(
        'Approve…',
        'jp-PerQueue-approval-approve',
        () => void this._commands.execute(CommandIDs.approveStep, args),
        form ? 'Complete the step: fill in its form' : 'Complete the step, with a result you can edit'
      )
    );
    actions.appendChild(
      button(
        'Reject…',
        'jp-PerQueue-approval-reject',
        () => void this._commands.execute(CommandIDs.rejectStep, args),
        'Reject the step, with a reason'
      )
    );
    actions.appendChild(
      button(
        'Graph',
        'jp-PerQueue-approval-show',
        () => void this._commands.execute(CommandIDs.showEntry, args),
        'Show the step in its workflow graph'
      )
    );
    li.appendChild(actions);
    return li;
  }

  private _updateClocks(): void {
    this._list.querySelectorAll<HTMLElement>('.jp-PerQueue-approval-clock').forEach(node => {
      const since = node.dataset.since ? Number(node.dataset.since) : null;
      const deadline = node.dataset.deadline ? Number(node.dataset.deadline) : null;
      node.textContent = clockText(since, deadline, node.dataset.timeout ?? '');
    });
  }

  private readonly _banner: HTMLElement;
  private readonly _list: HTMLElement;
  private readonly _clock: ReturnType<typeof setInterval>;
}

function clockText(since: number | null | undefined, deadline: number | null | undefined, atTimeout: string): string {
  const left = timeLeft(deadline, Date.now());
  const waiting = `waiting since ${formatTime(since)}`;
  return left ? `${waiting} · ${atTimeout} ${left}` : waiting;
}
