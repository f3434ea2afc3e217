// "Show Workflow Timeline": the palette, the graph panel's toolbar, the Workflows sidebar's
// context menu and the notebook widget open the timeline of a workflow in the main area.
import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, MainAreaWidget, WidgetTracker } from '@jupyterlab/apputils';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { CommandIDs, IPerQueueModel } from '../tokens';
import { perqueueGraphIcon } from '../ui/icons';
import { pickWorkflow } from '../ui/pickWorkflow';
import { TimelineView } from './view';

/** The workflow asked for: the arguments, the sidebar item right-clicked, or the current graph or timeline. */
function workflowOf(app: JupyterFrontEnd, args: ReadonlyPartialJSONObject): number | undefined {
  if (typeof args.workflowId === 'number') {
    return args.workflowId;
  }
  if (args.fromContextMenu === true) {
    const clicked = app.contextMenuHitTest(node => !!node.dataset.workflowId);
    return clicked ? Number(clicked.dataset.workflowId) : undefined;
  }
  const current = app.shell.currentWidget?.node.querySelector<HTMLElement>(
    '.jp-PerQueue-graph[data-workflow-id], .jp-PerQueue-timeline[data-workflow-id]'
  );
  return current ? Number(current.dataset.workflowId) : undefined;
}

export const timelinePlugin: JupyterFrontEndPlugin<void> = {
  id: 'perqueue-lab:timeline',
  description: 'The timeline of a workflow: when each entry was queued, started and ended.',
  autoStart: true,
  requires: [IPerQueueModel],
  optional: [ICommandPalette, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    model: IPerQueueModel,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null
  ): void => {
    const tracker = new WidgetTracker<MainAreaWidget<TimelineView>>({ namespace: 'perqueue-timeline' });

    const open = (workflowId: number): MainAreaWidget<TimelineView> => {
      const existing = tracker.find(w => w.content.workflowId === workflowId);
      if (existing) {
        app.shell.activateById(existing.id);
        return existing;
      }
      const content = new TimelineView({ model, workflowId, commands: app.commands });
      const widget = new MainAreaWidget({ content });
      widget.id = `perqueue-timeline-${workflowId}`;
      widget.addClass('jp-PerQueue-timeline-widget');
      const name = model.workflows.find(w => w.id === workflowId)?.name;
      widget.title.label = `Timeline: ${name || `Workflow #${workflowId}`}`;
      widget.title.caption = `Timeline of PerQueue workflow #${workflowId}`;
      widget.title.icon = perqueueGraphIcon;
      widget.title.closable = true;
      const onRemoved = (_: IPerQueueModel, id: number) => {
        if (id === workflowId) {
          widget.dispose();
        }
      };
      model.workflowRemoved.connect(onRemoved);
      const onProject = () => widget.dispose();
      model.projectChanged.connect(onProject);
      widget.disposed.connect(() => {
        model.workflowRemoved.disconnect(onRemoved);
        model.projectChanged.disconnect(onProject);
      });
      void tracker.add(widget);
      app.shell.add(widget, 'main');
      app.shell.activateById(widget.id);
      return widget;
    };

    app.commands.addCommand(CommandIDs.showTimeline, {
      label: args =>
        args.fromContextMenu || typeof args.workflowId === 'number' ? 'Show Timeline' : 'Show Workflow Timeline',
      caption: 'When each entry of a workflow waited in the queue, ran and ended',
      execute: async args => {
        const workflowId = workflowOf(app, args) ?? (await pickWorkflow(model, 'Show the timeline of'));
        if (workflowId === undefined) {
          return;
        }
        return open(workflowId);
      }
    });
    palette?.addItem({ command: CommandIDs.showTimeline, category: 'PerQueue' });
    app.contextMenu.addItem({
      command: CommandIDs.showTimeline,
      args: { fromContextMenu: true },
      selector: '.jp-PerQueue-sidebar .jp-PerQueue-workflow',
      rank: 2
    });
    if (restorer) {
      void restorer.restore(tracker, {
        command: CommandIDs.showTimeline,
        args: widget => ({ workflowId: widget.content.workflowId }),
        name: widget => String(widget.content.workflowId)
      });
    }
  }
};
