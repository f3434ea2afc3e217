// Notifications when entries fail or time out, and when one waits for a person while the human
// steps plugin (which tells of waiting steps itself, with an Open action) is absent.
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { CommandIDs, IPerQueueModel } from '../tokens';
import { loadSettings } from './settings';

/** Notifications when entries fail or wait for a person, with a link to the entry. */
export const notificationsPlugin: JupyterFrontEndPlugin<void> = {
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
      if (
        event.type !== 'node' ||
        entryId === null ||
        entryId === undefined ||
        !state ||
        notified.get(entryId) === state
      ) {
        return;
      }
      const failed = state === 'failed' || state === 'timed_out';
      // The human steps plugin tells of waiting steps itself, with their names and an Open action.
      const waiting = state === 'awaiting_input' && !app.commands.hasCommand(CommandIDs.openStep);
      if (
        (failed && !enabled('notifyFailures')) ||
        (waiting && !enabled('notifyAwaitingInput')) ||
        (!failed && !waiting)
      ) {
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
            callback: () => void app.commands.execute(CommandIDs.showEntry, { workflowId: event.workflowId, entryId })
          }
        ]
      };
      const text = `PerQueue: ${name} (#${entryId}, workflow #${event.workflowId}) ${what}.`;
      if (failed) {
        Notification.error(text, options);
      } else {
        Notification.info(text, options);
      }
    });
  }
};
