// The details pane of the graph panel: one entry's facts, inputs, outputs, error and log tail,
// or a collapsed width group's counts. Actions are buttons that run the perqueue:* commands.
import type { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';

import { countsText, IWidthGroup, stateLabel } from '../graph/elements';
import { CommandIDs, IPerQueueModel, PerQueue } from '../tokens';
import { button, clear, el, formatJson, formatTime } from '../ui';

interface IDetailsOptions {
  model: IPerQueueModel;
  commands: CommandRegistry;
  logTail: () => number;
  /** Expands or collapses a width group in the owning graph. */
  setGroupCollapsed: (key: string, collapsed: boolean) => void;
}

export class EntryDetails extends Widget {
  constructor(private readonly _options: IDetailsOptions) {
    super();
    this.addClass('jp-PerQueue-details');
    this.node.setAttribute('aria-live', 'polite');
    this.showNothing();
  }

  /** The entry shown, if any. */
  get entryId(): number | null {
    return this._entryId;
  }

  showNothing(): void {
    this._entryId = null;
    this._token++;
    clear(this.node);
    this.node.appendChild(
      el('p', 'jp-PerQueue-details-hint', 'Click an entry in the graph to see its inputs, outputs and log.')
    );
  }

  showGroup(group: IWidthGroup, counts: Partial<Record<string, number>>): void {
    this._entryId = null;
    this._token++;
    clear(this.node);
    this.node.appendChild(el('h3', 'jp-PerQueue-details-title', `${group.name} ×${group.size}`));
    const kind =
      group.kind === 'cycle'
        ? `Cyclical group (collapsed): ${group.iterations ?? 0} iterations`
        : 'Width group (collapsed)';
    this.node.appendChild(el('p', 'jp-PerQueue-details-kind', kind));
    this.node.appendChild(el('p', 'jp-PerQueue-details-counts', countsText(counts)));
    const actions = el('div', 'jp-PerQueue-details-actions');
    actions.appendChild(
      button('Expand group', 'jp-PerQueue-expand', () => this._options.setGroupCollapsed(group.key, false))
    );
    this.node.appendChild(actions);
  }

  /** Shows what the model knows at once, then fills in the inputs and logs from the bridge. */
  async showEntry(node: PerQueue.Node, groupKey: string | null): Promise<void> {
    const token = ++this._token;
    this._entryId = node.id;
    clear(this.node);
    this.node.dataset.entryId = String(node.id);

    const title = el('h3', 'jp-PerQueue-details-title', node.name);
    this.node.appendChild(title);
    const chip = el('span', `jp-PerQueue-chip jp-PerQueue-state-${node.state}`, stateLabel(node.state));
    chip.classList.add('jp-PerQueue-details-state');
    this.node.appendChild(chip);

    this.node.appendChild(this._actions(node, groupKey));

    const facts = el('dl', 'jp-PerQueue-facts');
    const fact = (label: string, value: unknown) => {
      if (value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) {
        return;
      }
      facts.appendChild(el('dt', '', label));
      facts.appendChild(el('dd', '', Array.isArray(value) ? value.join(', ') : String(value)));
    };
    fact('Entry', `#${node.id}`);
    fact('Kind', node.kind);
    fact('Index', node.index);
    fact('Iteration', node.iteration);
    fact('Attempt', node.attempt);
    fact('Resources', node.resources);
    fact('Job id', node.jobId);
    fact('Host', node.host);
    fact('Started', node.startedAt ? formatTime(node.startedAt) : null);
    fact('Ended', node.endedAt ? formatTime(node.endedAt) : null);
    fact('Code', node.code);
    this.node.appendChild(facts);

    if (node.error) {
      this._section('Error', node.error, 'jp-PerQueue-error');
    }
    // What the entry received (args merged with its parents' data) comes from the bridge; until
    // then nothing is shown rather than the args alone, a different shape.
    const inputs = this._section('Inputs', '…');
    if (node.data) {
      this._section('Outputs', formatJson(node.data));
    }
    const model = this._options.model;
    // No log sections where there can be no log (an archive exported without them).
    const withLogs = model.logsAvailable !== false;
    const stdout = withLogs ? this._section('stdout (tail)', '…', 'jp-PerQueue-log') : null;
    const stderr = withLogs ? this._section('stderr (tail)', '…', 'jp-PerQueue-log') : null;

    const tail = this._options.logTail();
    const noLog = Promise.resolve('');
    const [entry, out, err] = await Promise.allSettled([
      model.entry(node.id),
      withLogs ? model.log(node.id, 'stdout', tail) : noLog,
      withLogs ? model.log(node.id, 'stderr', tail) : noLog
    ]);
    if (token !== this._token) {
      return;
    }
    if (entry.status === 'fulfilled') {
      inputs.textContent = formatJson(entry.value.kwargs ?? node.args ?? {});
      if (entry.value.runDir) {
        facts.appendChild(el('dt', '', 'Run folder'));
        facts.appendChild(el('dd', '', entry.value.runDir));
      }
    } else {
      inputs.textContent = node.args ? formatJson(node.args) : 'unavailable';
    }
    if (stdout && stderr) {
      stdout.textContent = out.status === 'fulfilled' ? out.value || '(empty)' : 'no log yet';
      stderr.textContent = err.status === 'fulfilled' ? err.value || '(empty)' : 'no log yet';
    }
  }

  private _actions(node: PerQueue.Node, groupKey: string | null): HTMLElement {
    const actions = el('div', 'jp-PerQueue-details-actions');
    const commands = this._options.commands;
    const add = (id: CommandIDs, className: string) => {
      const args = { entryId: node.id, workflowId: node.workflowId };
      if (!commands.isVisible(id, args)) {
        return;
      }
      const b = button(
        commands.label(id, args),
        className,
        () => void commands.execute(id, args),
        commands.caption(id, args)
      );
      b.disabled = !commands.isEnabled(id, args);
      actions.appendChild(b);
    };
    add(CommandIDs.retryEntry, 'jp-PerQueue-retry');
    add(CommandIDs.cancelEntry, 'jp-PerQueue-cancel');
    add(CommandIDs.showFullLog, 'jp-PerQueue-full-log');
    // The human steps plugin's commands: the same form, dialogs and `by` as its panel and notebook toolbar.
    add(CommandIDs.approveStep, 'jp-PerQueue-approve');
    add(CommandIDs.rejectStep, 'jp-PerQueue-reject');
    if (groupKey) {
      actions.appendChild(
        button('Collapse group', 'jp-PerQueue-collapse', () => this._options.setGroupCollapsed(groupKey, true))
      );
    }
    return actions;
  }

  private _section(label: string, text: string, className = ''): HTMLElement {
    const section = el('section', 'jp-PerQueue-details-section');
    section.appendChild(el('h4', '', label));
    const pre = el('pre', `jp-PerQueue-pre ${className}`.trim(), text);
    section.appendChild(pre);
    this.node.appendChild(section);
    return pre;
  }

  private _entryId: number | null = null;
  private _token = 0;
}
