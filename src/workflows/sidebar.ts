// The Workflows sidebar: every workflow of the project with a progress bar per state, a text
// search and a state filter; workflows needing attention (failures, then human steps) first.
// When the server has several projects, a chooser above the list shows another one.
// It only renders the model and runs commands.
import type { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';

import { countsText, stateLabel } from '../graph';
import { CommandIDs, IPerQueueModel, PerQueue } from '../tokens';
import { clear, el, formatTime, sidebarHeader } from '../ui';

/** Order of the segments in a progress bar. */
const PROGRESS_ORDER: readonly string[] = [
  'succeeded',
  'discarded',
  'skipped',
  'running',
  'queued',
  'awaiting_input',
  'waiting',
  'blocked',
  'cancelled',
  'timed_out',
  'failed'
];

type WorkflowFilter = 'all' | 'attention' | 'active' | 'finished';

const FILTER_LABELS: Record<WorkflowFilter, string> = {
  all: 'All workflows',
  attention: 'Needing attention',
  active: 'Active',
  finished: 'Finished'
};

function count(summary: PerQueue.WorkflowSummary, ...states: string[]): number {
  return states.reduce((sum, s) => sum + ((summary.counts as Record<string, number>)[s] ?? 0), 0);
}

/** 0 = failures, 1 = waiting for a person, 2 = active, 3 = the rest. */
function attentionRank(summary: PerQueue.WorkflowSummary): number {
  if (count(summary, 'failed', 'timed_out') > 0) {
    return 0;
  }
  if (count(summary, 'awaiting_input') > 0) {
    return 1;
  }
  if (count(summary, 'running', 'queued', 'waiting', 'blocked') > 0) {
    return 2;
  }
  return 3;
}

function sortWorkflows(list: ReadonlyArray<PerQueue.WorkflowSummary>): PerQueue.WorkflowSummary[] {
  return [...list].sort(
    (a, b) => attentionRank(a) - attentionRank(b) || (b.createdAt ?? 0) - (a.createdAt ?? 0) || b.id - a.id
  );
}

function matchesFilter(summary: PerQueue.WorkflowSummary, filter: WorkflowFilter, search: string): boolean {
  const text = search.trim().toLowerCase();
  if (text && !summary.name.toLowerCase().includes(text) && String(summary.id) !== text.replace(/^#/, '')) {
    return false;
  }
  switch (filter) {
    case 'attention':
      return attentionRank(summary) <= 1;
    case 'active':
      return count(summary, 'running', 'queued', 'waiting', 'blocked', 'awaiting_input') > 0;
    case 'finished':
      return attentionRank(summary) === 3;
    default:
      return true;
  }
}

function baseName(dir: string): string {
  return dir.split('/').filter(Boolean).pop() ?? dir;
}

export class WorkflowsSidebar extends Widget {
  constructor(
    private readonly _model: IPerQueueModel,
    private readonly _commands: CommandRegistry
  ) {
    super();
    this.id = 'perqueue-workflows';
    this.addClass('jp-PerQueue-sidebar');
    this.title.caption = 'PerQueue workflows';

    const refresh = () => {
      void this._commands.execute(CommandIDs.refresh);
      void this.loadProjects();
    };
    this.node.appendChild(
      sidebarHeader('Workflows', 'jp-PerQueue-refresh', refresh, 'Reload the list (and the projects)')
    );

    this._project.className = 'jp-PerQueue-project jp-mod-styled';
    this._project.setAttribute('aria-label', 'Project');
    this._project.hidden = true;
    this._project.addEventListener('change', () => {
      const chosen = this._projects.find(p => p.name === this._project.value);
      void this._model.setProject(!chosen || chosen.default ? null : chosen.name);
    });
    this.node.appendChild(this._project);

    const controls = el('div', 'jp-PerQueue-sidebar-controls');
    this._search.type = 'search';
    this._search.placeholder = 'Search name or #id';
    this._search.className = 'jp-PerQueue-search jp-mod-styled';
    this._search.setAttribute('aria-label', 'Search workflows');
    this._search.addEventListener('input', () => this._render());
    controls.appendChild(this._search);
    this._filter.className = 'jp-PerQueue-filter jp-mod-styled';
    this._filter.setAttribute('aria-label', 'Filter workflows by state');
    for (const [value, label] of Object.entries(FILTER_LABELS)) {
      const option = el('option', '', label);
      option.value = value;
      this._filter.appendChild(option);
    }
    this._filter.addEventListener('change', () => this._render());
    controls.appendChild(this._filter);
    this.node.appendChild(controls);

    this._banner.setAttribute('role', 'status');
    this.node.appendChild(this._banner);
    this._list.setAttribute('role', 'list');
    this.node.appendChild(this._list);
    this.node.appendChild(this._empty);

    _model.workflowsChanged.connect(this._render, this);
    _model.connectionChanged.connect(this._renderConnection, this);
    _model.connectionChanged.connect(this._onConnection, this);
    // The project may be changed elsewhere (a notebook widget's button): the chooser follows.
    _model.projectChanged.connect(this._renderProjects, this);
    this._renderConnection();
    this._render();
    void this.loadProjects();
  }

  /** Reads the server's projects again (a folder may have become one since). */
  async loadProjects(): Promise<void> {
    try {
      this._projects = await this._model.projects();
    } catch {
      this._projects = []; // an older server extension, or none: the one project is shown
    }
    this._renderProjects();
  }

  private _renderProjects(): void {
    clear(this._project);
    const shown = this._model.project;
    for (const project of this._projects) {
      const option = el('option', '', project.name || `${baseName(project.dir)} (root)`);
      option.value = project.name;
      option.title = project.dir;
      option.selected = shown === null ? project.default : project.name === shown;
      this._project.appendChild(option);
    }
    this._project.hidden = this._projects.length < 2;
    this._project.title = this._projects.find(p => p.name === this._project.value)?.dir ?? '';
  }

  private _onConnection(_: IPerQueueModel, info: PerQueue.ConnectionInfo): void {
    if (info.status === 'live' && !this._projectsSeenLive) {
      this._projectsSeenLive = true;
      void this.loadProjects();
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._model.workflowsChanged.disconnect(this._render, this);
    this._model.connectionChanged.disconnect(this._renderConnection, this);
    this._model.connectionChanged.disconnect(this._onConnection, this);
    this._model.projectChanged.disconnect(this._renderProjects, this);
    super.dispose();
  }

  private _renderConnection(): void {
    const { status, message } = this._model.connection;
    this._banner.className = `jp-PerQueue-banner jp-PerQueue-connection-${status}`;
    const text =
      status === 'live' || (status === 'connecting' && !message)
        ? message
        : `${status === 'unavailable' ? 'Bridge unavailable' : status === 'reconnecting' ? 'Reconnecting' : 'Connecting'}${message ? ': ' + message : ''}`;
    this._banner.textContent = text;
    this._banner.hidden = !text;
  }

  private _render(): void {
    const search = this._search.value;
    const filter = this._filter.value as WorkflowFilter;
    const shown = sortWorkflows(this._model.workflows).filter(w => matchesFilter(w, filter, search));
    clear(this._list);
    for (const summary of shown) {
      this._list.appendChild(this._item(summary));
    }
    const total = this._model.workflows.length;
    this._empty.className = 'jp-PerQueue-empty';
    this._empty.textContent =
      total === 0 ? 'No workflows in this project yet.' : shown.length === 0 ? 'No workflow matches.' : '';
    this._empty.hidden = shown.length > 0;
  }

  private _item(summary: PerQueue.WorkflowSummary): HTMLElement {
    const item = el('li', 'jp-PerQueue-workflow');
    item.setAttribute('role', 'listitem');
    item.tabIndex = 0;
    item.dataset.workflowId = String(summary.id);
    item.dataset.rank = String(attentionRank(summary));
    const open = () => void this._commands.execute(CommandIDs.openWorkflow, { workflowId: summary.id });
    item.addEventListener('click', open);
    item.addEventListener('keydown', event => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        open();
      }
    });

    const head = el('div', 'jp-PerQueue-workflow-head');
    head.appendChild(el('span', 'jp-PerQueue-workflow-name', summary.name || `workflow ${summary.id}`));
    head.appendChild(
      el('span', `jp-PerQueue-chip jp-PerQueue-state-${summary.state}`, stateLabel(summary.state ?? ''))
    );
    item.appendChild(head);

    const bar = el('div', 'jp-PerQueue-progress');
    const counts = summary.counts as Record<string, number>;
    const total = Math.max(summary.total || 0, 1);
    const text = countsText(counts);
    bar.title = text;
    bar.setAttribute('role', 'img');
    bar.setAttribute('aria-label', text || 'no entries');
    const states = [...PROGRESS_ORDER, ...Object.keys(counts).filter(s => !PROGRESS_ORDER.includes(s))];
    for (const state of states) {
      const n = counts[state] ?? 0;
      if (n > 0) {
        const segment = el('span', `jp-PerQueue-progress-segment jp-PerQueue-state-${state}`);
        segment.style.width = `${(100 * n) / total}%`;
        bar.appendChild(segment);
      }
    }
    item.appendChild(bar);

    item.appendChild(
      el(
        'div',
        'jp-PerQueue-workflow-meta',
        `#${summary.id} · ${summary.total} entries · ${formatTime(summary.createdAt)}`
      )
    );
    if (text) {
      item.appendChild(el('div', 'jp-PerQueue-workflow-counts', text));
    }
    return item;
  }

  private readonly _project = el('select');
  private _projects: PerQueue.Project[] = [];
  private _projectsSeenLive = false;
  private readonly _search = el('input');
  private readonly _filter = el('select');
  private readonly _banner = el('div', 'jp-PerQueue-banner');
  private readonly _list = el('ul', 'jp-PerQueue-workflow-list');
  private readonly _empty = el('div', 'jp-PerQueue-empty');
}
