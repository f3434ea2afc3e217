// The perqueue:* commands. Every action of the sidebar, the graph panel and the palette runs
// through them, so each one exists in one place with its label, its enabled rule and its errors.
import type { JupyterFrontEnd } from '@jupyterlab/application';
import {
  Clipboard,
  Dialog,
  ICommandPalette,
  InputDialog,
  MainAreaWidget,
  Notification,
  showDialog,
  WidgetTracker
} from '@jupyterlab/apputils';
import { PageConfig } from '@jupyterlab/coreutils';
import { ToolbarButton } from '@jupyterlab/ui-components';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { PerQueueApiError } from '../client';
import { DEFAULT_GRAPH_SETTINGS, GraphPanel, IGraphSettings } from '../graph';
import { graphTabTitle } from '../graph/tabTitle';
import { askResult } from '../humanSteps/dialogs';
import { openFullLog } from '../logs';
import { CommandIDs, IPerQueueModel, PerQueue } from '../tokens';
import { CONTEXT_ENTRY_SELECTOR, withContextEntry } from '../ui';
import { perqueueGraphIcon } from '../ui/icons';
import { pickWorkflow } from '../ui/pickWorkflow';

const PALETTE_CATEGORY = 'PerQueue';

const RETRYABLE = new Set(['failed', 'timed_out', 'cancelled']);
const CANCELLABLE = new Set(['waiting', 'queued', 'running', 'blocked', 'awaiting_input']);
/** The bridge changes a task's args only before it runs or after it failed (core/engine.ts EDITABLE). */
const MODIFIABLE = new Set(['waiting', 'blocked', 'failed', 'timed_out', 'cancelled']);
/** Workflow states in which nothing moves any more: such a workflow may be removed. */
const REMOVABLE = new Set(['succeeded', 'failed', 'cancelled']);

/**
 * The workflow a command acts on: its arguments, the item right-clicked (only when run from the
 * context menu: the last right-click is remembered after its menu closed), else the current graph.
 */
function workflowTarget(ctx: ICommandContext, args: ReadonlyPartialJSONObject): number | undefined {
  if (typeof args.workflowId === 'number') {
    return args.workflowId;
  }
  if (args.fromContextMenu === true) {
    const clicked = ctx.app.contextMenuHitTest(node => !!node.dataset.workflowId);
    return clicked ? Number(clicked.dataset.workflowId) : undefined;
  }
  return ctx.tracker.currentWidget?.content.workflowId;
}

interface ICommandContext {
  app: JupyterFrontEnd;
  model: IPerQueueModel;
  tracker: WidgetTracker<MainAreaWidget<GraphPanel>>;
  palette: ICommandPalette | null;
  sidebarId: string;
  settings: () => IGraphSettings;
}

/** The entry a command acts on: its arguments, else the one selected in the current graph. */
function target(ctx: ICommandContext, given: ReadonlyPartialJSONObject): PerQueue.Node | null {
  const args = withContextEntry(ctx.app, given);
  const panel = ctx.tracker.currentWidget?.content ?? null;
  const entryId = typeof args.entryId === 'number' ? args.entryId : (panel?.selectedEntryId ?? null);
  if (entryId === null) {
    return null;
  }
  const workflowId = typeof args.workflowId === 'number' ? args.workflowId : panel?.workflowId;
  if (workflowId !== undefined) {
    const node = ctx.model.node(workflowId, entryId);
    if (node) {
      return node;
    }
  }
  for (const widget of ctx.tracker.filter(() => true)) {
    const node = ctx.model.node(widget.content.workflowId, entryId);
    if (node) {
      return node;
    }
  }
  return null;
}

/** Asks before a destructive action; whether the person confirmed. */
async function confirmed(title: string, body: string, keep: string, act: string): Promise<boolean> {
  const answer = await showDialog({
    title,
    body,
    buttons: [Dialog.cancelButton({ label: keep }), Dialog.warnButton({ label: act })]
  });
  return answer.button.accept;
}

function reportError(action: string, error: unknown): void {
  const message =
    error instanceof PerQueueApiError ? `${error.message}${error.fix ? ' ' + error.fix : ''}` : String(error);
  Notification.error(`${action} failed: ${message}`, { autoClose: 8000 });
}

/** A destructive action run only once the person confirmed it; a failure is reported as `action`. */
async function confirmThenRun(
  question: { title: string; body: string; keep: string; act: string },
  run: () => Promise<void>,
  action: string
): Promise<void> {
  if (!(await confirmed(question.title, question.body, question.keep, question.act))) {
    return;
  }
  try {
    await run();
  } catch (error) {
    reportError(action, error);
  }
}

function openGraph(ctx: ICommandContext, workflowId: number): MainAreaWidget<GraphPanel> {
  const existing = ctx.tracker.find(w => w.content.workflowId === workflowId);
  if (existing) {
    ctx.app.shell.activateById(existing.id);
    return existing;
  }
  const panel = new GraphPanel({
    model: ctx.model,
    commands: ctx.app.commands,
    workflowId,
    settings: ctx.settings
  });
  const widget = new MainAreaWidget({ content: panel });
  widget.id = `perqueue-workflow-${workflowId}`;
  widget.addClass('jp-PerQueue-graph-widget');
  const summary = ctx.model.workflows.find(w => w.id === workflowId);
  const title = graphTabTitle(summary?.name ?? '', workflowId);
  widget.title.label = title.label;
  widget.title.caption = title.caption;
  widget.title.closable = true;
  widget.title.icon = perqueueGraphIcon;
  panel.title.changed.connect(() => {
    widget.title.label = panel.title.label;
    widget.title.caption = panel.title.caption;
  });
  const toolbar = widget.toolbar;
  toolbar.addItem(
    'fit',
    new ToolbarButton({ label: 'Fit', tooltip: 'Fit the graph to the panel', onClick: () => panel.fit() })
  );
  toolbar.addItem(
    'relayout',
    new ToolbarButton({ label: 'Relayout', tooltip: 'Lay the graph out again', onClick: () => panel.relayout() })
  );
  toolbar.addItem(
    'collapse',
    new ToolbarButton({
      label: 'Collapse groups',
      tooltip: 'Show each width group as one node',
      onClick: () => panel.setAllGroupsCollapsed(true)
    })
  );
  toolbar.addItem(
    'expand',
    new ToolbarButton({
      label: 'Expand groups',
      tooltip: 'Show every entry of every width group',
      onClick: () => panel.setAllGroupsCollapsed(false)
    })
  );
  toolbar.addItem(
    'timeline',
    new ToolbarButton({
      label: 'Timeline',
      tooltip: 'When each entry waited in the queue, ran and ended',
      onClick: () => void ctx.app.commands.execute(CommandIDs.showTimeline, { workflowId })
    })
  );
  toolbar.addItem(
    'cancel',
    new ToolbarButton({
      label: 'Cancel workflow',
      tooltip: 'Cancel every unfinished entry of this workflow',
      onClick: () => void ctx.app.commands.execute(CommandIDs.cancelWorkflow, { workflowId })
    })
  );
  panel.selectionChanged.connect(() => ctx.app.commands.notifyCommandChanged());
  // A removed workflow has nothing left to show: its tab closes.
  const onRemoved = (_: IPerQueueModel, id: number) => {
    if (id === workflowId) {
      widget.dispose();
    }
  };
  ctx.model.workflowRemoved.connect(onRemoved);
  widget.disposed.connect(() => ctx.model.workflowRemoved.disconnect(onRemoved));
  void ctx.tracker.add(widget);
  ctx.app.shell.add(widget, 'main');
  ctx.app.shell.activateById(widget.id);
  return widget;
}

export function addCommands(ctx: ICommandContext): void {
  const { app, model } = ctx;
  const commands = app.commands;
  const settings = () => ({ ...DEFAULT_GRAPH_SETTINGS, ...ctx.settings() });

  commands.addCommand(CommandIDs.openSidebar, {
    label: 'Show PerQueue Workflows',
    // The launcher card's picture; the palette lists commands without icons.
    icon: args => (args.isPalette ? undefined : perqueueGraphIcon),
    execute: () => app.shell.activateById(ctx.sidebarId)
  });

  commands.addCommand(CommandIDs.refresh, {
    label: 'Refresh PerQueue Workflows',
    execute: async () => {
      try {
        await model.refresh();
      } catch (error) {
        reportError('Refreshing the workflows', error);
      }
    }
  });

  commands.addCommand(CommandIDs.openWorkflow, {
    label: args =>
      typeof args.workflowId === 'number'
        ? `Open Workflow #${args.workflowId}`
        : args.fromContextMenu
          ? 'Open Workflow'
          : 'Open PerQueue Workflow…',
    execute: async args => {
      // Not the current graph: opening one asks, unless an argument or a right-click chose.
      const chosen =
        typeof args.workflowId === 'number' || args.fromContextMenu ? workflowTarget(ctx, args) : undefined;
      const workflowId = chosen ?? (await pickWorkflow(model, 'Open PerQueue workflow'));
      if (workflowId === undefined) {
        return;
      }
      return openGraph({ ...ctx, settings }, workflowId);
    }
  });

  commands.addCommand(CommandIDs.showEntry, {
    label: args => (args.fromContextMenu ? 'Show Details' : 'Show PerQueue Entry'),
    caption: 'Open the entry in its workflow graph, centred, with its details',
    execute: async given => {
      const args = withContextEntry(app, given);
      let entryId = typeof args.entryId === 'number' ? args.entryId : null;
      let workflowId = typeof args.workflowId === 'number' ? args.workflowId : null;
      if (entryId === null) {
        // From the palette: the entry's id, as `pql ls` and the details pane show it.
        const answer = await InputDialog.getNumber({ title: 'Show PerQueue entry', label: 'Entry id' });
        if (!answer.button.accept || answer.value === null || !Number.isInteger(answer.value)) {
          return;
        }
        entryId = answer.value;
      }
      if (workflowId === null) {
        try {
          workflowId = (await model.entry(entryId)).node.workflowId;
        } catch (error) {
          reportError(`Showing entry #${entryId}`, error);
          return;
        }
      }
      const widget = openGraph({ ...ctx, settings }, workflowId);
      await model.loadWorkflow(workflowId);
      await widget.content.graph.loaded;
      widget.content.selectEntry(entryId, true);
    }
  });

  const entryCommand = (
    id: CommandIDs,
    label: string,
    caption: string,
    applies: (node: PerQueue.Node) => boolean,
    run: (node: PerQueue.Node) => Promise<unknown>,
    visible: (node: PerQueue.Node) => boolean = () => true
  ) => {
    commands.addCommand(id, {
      label,
      caption,
      isEnabled: args => {
        const node = target(ctx, args);
        return !!node && applies(node);
      },
      isVisible: args => {
        const node = target(ctx, args);
        return !node || visible(node);
      },
      execute: async args => {
        const node = target(ctx, args);
        if (!node) {
          Notification.warning('Select an entry in a PerQueue graph first.', { autoClose: 4000 });
          return;
        }
        try {
          await run(node);
        } catch (error) {
          reportError(`${label} (entry #${node.id})`, error);
        }
      }
    });
    ctx.palette?.addItem({ command: id, category: PALETTE_CATEGORY });
  };

  entryCommand(
    CommandIDs.retryEntry,
    'Retry Entry',
    'Run the entry again (it failed, timed out or was cancelled)',
    n => RETRYABLE.has(n.state),
    n => model.retryEntry(n.id)
  );
  entryCommand(
    CommandIDs.cancelEntry,
    'Cancel Entry',
    'Stop the entry and keep its children from running',
    n => CANCELLABLE.has(n.state),
    async n => {
      const body = `Cancel ${n.name} (#${n.id})? Its children will not run until it is retried.`;
      if (await confirmed('Cancel entry?', body, 'Keep running', 'Cancel entry')) {
        await model.cancelEntry(n.id);
      }
    }
  );
  entryCommand(
    CommandIDs.modifyEntry,
    'Modify Entry…',
    'Change the args of a task before it runs or after it failed',
    n => MODIFIABLE.has(n.state),
    async n => {
      const hint = `The args of ${n.name} (#${n.id}), a JSON object. Retry it afterwards to run it with them.`;
      const changed = await askResult(
        `Modify ${n.name}`,
        JSON.stringify(n.args ?? {}, null, 2),
        hint,
        () => '',
        'Save'
      );
      if (changed) {
        await model.modifyEntry(n.id, { args: changed });
        Notification.success(`Changed the args of ${n.name} (#${n.id}).`, { autoClose: 4000 });
      }
    },
    n => n.kind === 'task'
  );
  entryCommand(
    CommandIDs.openRunFolder,
    'Open Run Folder',
    'Show the folder the entry ran in (job script, input, logs) in the file browser',
    n => n.kind === 'task' && (n.attempt ?? 0) > 0,
    async n => {
      const { runDir } = await model.entry(n.id);
      const path = runDir ? pathBelowServerRoot(runDir) : null;
      if (path === null) {
        Notification.info(
          runDir
            ? `The run folder ${runDir} is outside the folder JupyterLab serves.`
            : `${n.name} (#${n.id}) has not run yet.`,
          {
            autoClose: 6000
          }
        );
        return;
      }
      await app.commands.execute('filebrowser:go-to-path', { path: `/${path}` });
    },
    n => n.kind === 'task'
  );
  entryCommand(
    CommandIDs.showFullLog,
    'Show Full Log',
    'Open the whole stdout and stderr of the entry in a panel that follows it while it runs',
    n => n.kind === 'task',
    async n => openFullLog(app, model, n),
    n => n.kind === 'task'
  );
  entryCommand(
    CommandIDs.copyEntryId,
    'Copy Entry Id',
    "Copy the entry's id (for pql and the Python API)",
    () => true,
    async n => Clipboard.copyToSystem(String(n.id))
  );

  commands.addCommand(CommandIDs.cancelWorkflow, {
    label: 'Cancel Workflow',
    caption: 'Cancel every unfinished entry of the workflow',
    isEnabled: args => workflowTarget(ctx, args) !== undefined,
    execute: async args => {
      const workflowId = workflowTarget(ctx, args);
      if (workflowId === undefined) {
        return;
      }
      const body = `Cancel every unfinished entry of workflow #${workflowId}?`;
      const question = { title: 'Cancel workflow?', body, keep: 'Keep running', act: 'Cancel workflow' };
      await confirmThenRun(question, () => model.cancelWorkflow(workflowId), `Cancelling workflow #${workflowId}`);
    }
  });

  commands.addCommand(CommandIDs.removeWorkflow, {
    label: 'Remove Workflow…',
    caption: 'Remove a finished, failed or cancelled workflow from the project, with its run folders',
    isEnabled: args => {
      const workflowId = workflowTarget(ctx, args);
      const summary = model.workflows.find(w => w.id === workflowId);
      return !!summary && REMOVABLE.has(summary.state ?? '');
    },
    execute: async args => {
      const workflowId = workflowTarget(ctx, args);
      const summary = model.workflows.find(w => w.id === workflowId);
      if (workflowId === undefined || !summary) {
        return;
      }
      const body =
        `Remove ${summary.name || 'workflow'} (#${workflowId}, ${summary.total} entries) from the project? ` +
        'Its entries, their data and logs, and its run folders are deleted. Notebooks made for its human steps stay.';
      const question = { title: 'Remove workflow?', body, keep: 'Keep', act: 'Remove workflow' };
      await confirmThenRun(question, () => model.removeWorkflow(workflowId), `Removing workflow #${workflowId}`);
    }
  });

  commands.addCommand(CommandIDs.showProject, {
    label: args =>
      typeof args.project === 'string' ? `Show PerQueue Project ${args.project || '(root)'}` : 'Show PerQueue Project…',
    caption: 'Show the workflows of another project below the folder JupyterLab serves',
    execute: async args => {
      let projects: PerQueue.Project[];
      try {
        projects = await model.projects();
      } catch (error) {
        reportError('Listing the projects', error);
        return;
      }
      let name = typeof args.project === 'string' ? args.project : null;
      if (name === null) {
        const label = (p: PerQueue.Project) => `${p.name || '(root)'} — ${p.dir}`;
        const choice = await InputDialog.getItem({ title: 'Show PerQueue project', items: projects.map(label) });
        if (!choice.button.accept || !choice.value) {
          return;
        }
        name = projects.find(p => label(p) === choice.value)?.name ?? null;
      }
      const project = projects.find(p => p.name === name);
      if (!project) {
        Notification.error(`No PerQueue project '${name}' below the folder JupyterLab serves.`, { autoClose: 6000 });
        return;
      }
      await model.setProject(project.default ? null : project.name);
      app.shell.activateById(ctx.sidebarId);
    }
  });

  for (const command of [
    CommandIDs.showEntry,
    CommandIDs.openSidebar,
    CommandIDs.refresh,
    CommandIDs.openWorkflow,
    CommandIDs.cancelWorkflow,
    CommandIDs.removeWorkflow,
    CommandIDs.showProject
  ]) {
    ctx.palette?.addItem({ command, category: PALETTE_CATEGORY });
  }
  // The graphs of a project no longer shown have nothing left to show.
  model.projectChanged.connect(() => {
    for (const widget of ctx.tracker.filter(() => true)) {
      widget.dispose();
    }
  });

  // Right-click on a workflow of the sidebar.
  const onWorkflow = '.jp-PerQueue-sidebar .jp-PerQueue-workflow';
  const fromContextMenu = { fromContextMenu: true };
  app.contextMenu.addItem({ command: CommandIDs.openWorkflow, args: fromContextMenu, selector: onWorkflow, rank: 1 });
  app.contextMenu.addItem({ command: CommandIDs.cancelWorkflow, args: fromContextMenu, selector: onWorkflow, rank: 2 });
  app.contextMenu.addItem({ command: CommandIDs.removeWorkflow, args: fromContextMenu, selector: onWorkflow, rank: 3 });

  // Right-click on an entry of a graph (panel or notebook widget); human steps add Approve/Reject.
  const entryItems = [
    CommandIDs.showEntry,
    CommandIDs.retryEntry,
    CommandIDs.cancelEntry,
    CommandIDs.modifyEntry,
    CommandIDs.openRunFolder,
    CommandIDs.showFullLog,
    CommandIDs.copyEntryId
  ];
  entryItems.forEach((command, i) => {
    app.contextMenu.addItem({
      command,
      args: fromContextMenu,
      selector: CONTEXT_ENTRY_SELECTOR,
      rank: i < 4 ? i + 1 : i + 10
    });
  });
}

/** A path of this machine as the file browser names it (relative to the server root); null when outside. */
function pathBelowServerRoot(absolute: string): string | null {
  const root = (PageConfig.getOption('serverRoot') || '').replace(/\/+$/, '');
  if (!root || root.startsWith('~')) {
    return null;
  }
  if (absolute === root) {
    return '';
  }
  return absolute.startsWith(`${root}/`) ? absolute.slice(root.length + 1) : null;
}
