// Plugin objects only: the model, the Workflows sidebar, the graph panel with its commands, the
// status-bar item and notifications. The work happens in model.ts, client.ts and panels/.
import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, MainAreaWidget, Notification, WidgetTracker } from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar } from '@jupyterlab/statusbar';
import { listIcon } from '@jupyterlab/ui-components';

import { PerQueueClient } from './client';
import { addCommands } from './commands';
import { PerQueueModel } from './model';
import { openFromUrlPlugin } from './openFromUrl';
import { archiveExportPlugin } from './archive/exportPlugin';
import { archivePlugin } from './archive/plugin';
import { builderPlugin } from './builder/plugin';
import { humanStepsPlugin } from './humanStepsPlugin';
import { DEFAULT_GRAPH_SETTINGS, GraphPanel, IGraphSettings } from './panels/graphPanel';
import { WorkflowsSidebar } from './panels/sidebar';
import { PerQueueStatus } from './panels/statusItem';
import { CommandIDs, IPerQueueModel } from './tokens';
import { widgetPlugin } from '../widgets/plugin';

export { IPerQueueModel, CommandIDs } from './tokens';
export type { PerQueue } from './tokens';

const PLUGIN_ID = 'perqueue-lab:plugin';
/** Where the project shown is remembered between page loads (absent: the server's own). */
const PROJECT_KEY = 'perqueue-lab:project';

function savedProject(): string | null {
  try {
    return window.localStorage.getItem(PROJECT_KEY);
  } catch {
    return null;
  }
}

function saveProject(project: string | null): void {
  try {
    if (project === null) {
      window.localStorage.removeItem(PROJECT_KEY);
    } else {
      window.localStorage.setItem(PROJECT_KEY, project);
    }
  } catch {
    // storage refused (private mode): the choice lasts until the page reloads
  }
}

async function loadSettings(registry: ISettingRegistry | null): Promise<ISettingRegistry.ISettings | null> {
  if (!registry) {
    return null;
  }
  try {
    return await registry.load(PLUGIN_ID);
  } catch (error) {
    console.warn('PerQueue Lab: settings could not be loaded, using defaults.', error);
    return null;
  }
}

function graphSettings(settings: ISettingRegistry.ISettings | null): IGraphSettings {
  const get = <T>(key: string, fallback: T): T => (settings?.get(key).composite as T | undefined) ?? fallback;
  return {
    collapseWidthAbove: get('collapseWidthAbove', DEFAULT_GRAPH_SETTINGS.collapseWidthAbove),
    layoutDirection: get('layoutDirection', DEFAULT_GRAPH_SETTINGS.layoutDirection),
    logTail: get('logTail', DEFAULT_GRAPH_SETTINGS.logTail),
  };
}

/** The model: the one connection to the bridge, shared by every view. */
const modelPlugin: JupyterFrontEndPlugin<IPerQueueModel> = {
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
  },
};

/** The Workflows sidebar, the graph panels and the perqueue:* commands. */
const workflowsPlugin: JupyterFrontEndPlugin<void> = {
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
    launcher: ILauncher | null,
  ): Promise<void> => {
    const settings = await loadSettings(registry);
    let current = graphSettings(settings);
    settings?.changed.connect(() => {
      current = graphSettings(settings);
    });

    const sidebar = new WorkflowsSidebar(model, app.commands);
    sidebar.title.icon = listIcon;
    app.shell.add(sidebar, 'left', { rank: 600 });

    const tracker = new WidgetTracker<MainAreaWidget<GraphPanel>>({ namespace: 'perqueue-workflow' });
    const ctx = { app, model, tracker, palette, sidebarId: sidebar.id, settings: () => current };
    addCommands(ctx);
    if (restorer) {
      restorer.add(sidebar, sidebar.id);
      void restorer.restore(tracker, {
        command: CommandIDs.openWorkflow,
        args: (widget) => ({ workflowId: widget.content.workflowId }),
        name: (widget) => String(widget.content.workflowId),
      });
    }
    launcher?.add({ command: CommandIDs.openSidebar, category: 'PerQueue', rank: 0 });
  },
};

/** The status-bar count of running and failed entries. */
const statusPlugin: JupyterFrontEndPlugin<void> = {
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
  },
};

/** Notifications when entries fail or wait for a person, with a link to the entry. */
const notificationsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'perqueue-lab:notifications',
  description: 'Notifies failures and human steps of PerQueue workflows.',
  autoStart: true,
  requires: [IPerQueueModel],
  optional: [ISettingRegistry],
  activate: async (app: JupyterFrontEnd, model: IPerQueueModel, registry: ISettingRegistry | null): Promise<void> => {
    const settings = await loadSettings(registry);
    const enabled = (key: string) => (settings?.get(key).composite as boolean | undefined) ?? true;
    const notified = new Map<number, string>();
    model.eventReceived.connect((_, event) => {
      const entryId = event.node?.id ?? event.nodeId;
      const state = event.node?.state ?? event.state;
      if (event.type !== 'node' || entryId === null || entryId === undefined || !state || notified.get(entryId) === state) {
        return;
      }
      const failed = state === 'failed' || state === 'timed_out';
      // The human steps plugin tells of waiting steps itself, with their names and an Open action.
      const waiting = state === 'awaiting_input' && !app.commands.hasCommand(CommandIDs.openStep);
      if ((failed && !enabled('notifyFailures')) || (waiting && !enabled('notifyAwaitingInput')) || (!failed && !waiting)) {
        return;
      }
      notified.set(entryId, state);
      const name = event.node?.name ?? model.node(event.workflowId, entryId)?.name ?? 'entry';
      const what = failed ? (state === 'failed' ? 'failed' : 'timed out') : 'is waiting for you';
      const options = {
        autoClose: failed ? (false as const) : 10000,
        actions: [
          {
            label: 'Show entry',
            callback: () => void app.commands.execute(CommandIDs.showEntry, { workflowId: event.workflowId, entryId }),
          },
        ],
      };
      const text = `PerQueue: ${name} (#${entryId}, workflow #${event.workflowId}) ${what}.`;
      if (failed) {
        Notification.error(text, options);
      } else {
        Notification.info(text, options);
      }
    });
  },
};

export default [
  modelPlugin,
  workflowsPlugin,
  statusPlugin,
  notificationsPlugin,
  openFromUrlPlugin,
  humanStepsPlugin,
  widgetPlugin,
  builderPlugin,
  archiveExportPlugin,
  archivePlugin,
];
