// The model plugin (the one connection to the bridge), the Workflows sidebar with the graph
// panels and the perqueue:* commands, and the status-bar item.
import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, MainAreaWidget, WidgetTracker } from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar } from '@jupyterlab/statusbar';

import { PerQueueClient } from '../client';
import { graphSettings, type GraphPanel } from '../graph';
import { PerQueueModel } from '../model';
import { CommandIDs, IPerQueueModel } from '../tokens';
import { addCommands } from './commands';
import { loadSettings, PLUGIN_ID, savedProject, saveProject } from './settings';
import { WorkflowsSidebar } from './sidebar';
import { perqueueGraphIcon } from '../ui/icons';
import { PerQueueStatus } from './statusItem';

/** The model: the one connection to the bridge, shared by every view. */
export const modelPlugin: JupyterFrontEndPlugin<IPerQueueModel> = {
  id: PLUGIN_ID,
  description: 'The PerQueue Lab model: workflows and live events from the bridge.',
  autoStart: true,
  provides: IPerQueueModel,
  optional: [ISettingRegistry],
  activate: async (app: JupyterFrontEnd, registry: ISettingRegistry | null): Promise<IPerQueueModel> => {
    const settings = await loadSettings(registry);
    const transport = (settings?.get('transport').composite as 'websocket' | 'poll' | undefined) ?? 'websocket';
    const client = new PerQueueClient(app.serviceManager.serverSettings);
    client.project = savedProject();
    const model = new PerQueueModel({ client, transport });
    model.projectChanged.connect((_, project) => saveProject(project));
    void model.start();
    return model;
  }
};

/** The Workflows sidebar, the graph panels and the perqueue:* commands. */
export const workflowsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'perqueue-lab:workflows',
  description: 'The PerQueue Workflows sidebar, the workflow graph panel and their commands.',
  autoStart: true,
  requires: [IPerQueueModel],
  optional: [ICommandPalette, ILayoutRestorer, ISettingRegistry, ILauncher],
  activate: async (
    app: JupyterFrontEnd,
    model: IPerQueueModel,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    registry: ISettingRegistry | null,
    launcher: ILauncher | null
  ): Promise<void> => {
    const settings = await loadSettings(registry);
    let current = graphSettings(settings);
    settings?.changed.connect(() => {
      current = graphSettings(settings);
    });

    const sidebar = new WorkflowsSidebar(model, app.commands);
    sidebar.title.icon = perqueueGraphIcon;
    app.shell.add(sidebar, 'left', { rank: 600 });

    const tracker = new WidgetTracker<MainAreaWidget<GraphPanel>>({ namespace: 'perqueue-workflow' });
    const ctx = { app, model, tracker, palette, sidebarId: sidebar.id, settings: () => current };
    addCommands(ctx);
    if (restorer) {
      restorer.add(sidebar, sidebar.id);
      void restorer.restore(tracker, {
        command: CommandIDs.openWorkflow,
        args: widget => ({ workflowId: widget.content.workflowId }),
        name: widget => String(widget.content.workflowId)
      });
    }
    launcher?.add({ command: CommandIDs.openSidebar, category: 'PerQueue', rank: 0 });
  }
};

/** The status-bar count of running and failed entries. */
export const statusPlugin: JupyterFrontEndPlugin<void> = {
  id: 'perqueue-lab:status',
  description: 'Shows running and failed PerQueue entries in the status bar.',
  autoStart: true,
  requires: [IPerQueueModel],
  optional: [IStatusBar],
  activate: (app: JupyterFrontEnd, model: IPerQueueModel, statusBar: IStatusBar | null): void => {
    if (!statusBar) {
      return;
    }
    const item = new PerQueueStatus(model, () => void app.commands.execute(CommandIDs.openSidebar));
    statusBar.registerStatusItem('perqueue-lab:status', { item, align: 'left', rank: 50 });
  }
};
