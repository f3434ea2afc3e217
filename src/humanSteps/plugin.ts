// Human steps in JupyterLab: the Approvals panel, the perqueue:open-step / approve / reject
// commands (palette, panel, entry details, notebook toolbar and notifications all run them) and
// the toolbar of step notebooks. The work is in the other modules of this folder.
import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, InputDialog, Notification } from '@jupyterlab/apputils';
import { PageConfig } from '@jupyterlab/coreutils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { userIcon } from '@jupyterlab/ui-components';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { IApproval, serverPath, stepLabel } from './steps';
import { addStepToolbars, stepOfNotebook } from './notebookToolbar';
import { formOfStep } from './form';
import { describe, HumanSteps } from './service';
import { ApprovalsPanel } from './approvalsPanel';
import { askReason, askResult } from './dialogs';
import { CommandIDs, IPerQueueModel } from '../tokens';
import { CONTEXT_ENTRY_SELECTOR, withContextEntry } from '../ui';

const PALETTE_CATEGORY = 'PerQueue';
/** The model plugin's settings, which hold the notification switches. */
const SETTINGS_ID = 'perqueue-lab:plugin';

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export const humanStepsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'perqueue-lab:human-steps',
  description: 'Human steps of PerQueue workflows: the Approvals panel, step notebooks and their commands.',
  autoStart: true,
  requires: [IPerQueueModel],
  optional: [ICommandPalette, ILayoutRestorer, INotebookTracker, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    model: IPerQueueModel,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    notebooks: INotebookTracker | null,
    registry: ISettingRegistry | null
  ): void => {
    const steps = new HumanSteps({ model });
    const panel = new ApprovalsPanel(steps, app.commands);
    panel.title.icon = userIcon;
    app.shell.add(panel, 'right', { rank: 600 });
    restorer?.add(panel, panel.id);

    /** The step notebook in the main area, if the current document is one. */
    const currentStep = (): number | null => {
      const current = notebooks?.currentWidget;
      if (!current || app.shell.currentWidget !== current) {
        return null;
      }
      return stepOfNotebook(current.context.model)?.entryId ?? null;
    };

    /** The entry a command acts on: its argument, the current step notebook's, or one picked. */
    const entryOf = async (given: ReadonlyPartialJSONObject, verb: string): Promise<number | null> => {
      const args = withContextEntry(app, given);
      if (typeof args.entryId === 'number') {
        return args.entryId;
      }
      const fromNotebook = currentStep();
      if (fromNotebook !== null) {
        return fromNotebook;
      }
      const items = steps.loaded ? steps.items : await steps.refresh().catch(() => steps.items);
      if (items.length === 0) {
        Notification.info('No PerQueue step is waiting for a person.', { autoClose: 4000 });
        return null;
      }
      if (items.length === 1) {
        return items[0].node.id;
      }
      const names = items.map(a => `#${a.node.id} ${stepLabel(a.node)} (workflow #${a.node.workflowId})`);
      const choice = await InputDialog.getItem({ title: `${verb} which step?`, items: names });
      if (!choice.button.accept || !choice.value) {
        return null;
      }
      return Number(/^#(\d+)/.exec(choice.value)?.[1]);
    };

    const report = (action: string, error: unknown) =>
      Notification.error(`${action} failed: ${describe(error)}`, { autoClose: 8000 });

    /** The entry named by the arguments (the details pane passes both ids), null when not known here. */
    const shownEntry = (given: ReadonlyPartialJSONObject) => {
      const args = withContextEntry(app, given);
      return typeof args.entryId === 'number' && typeof args.workflowId === 'number'
        ? model.node(args.workflowId, args.entryId)
        : null;
    };
    // Without a known entry (palette, notebook toolbar) the command picks or reads one when run.
    const isStep = (args: ReadonlyPartialJSONObject) => {
      const node = shownEntry(args);
      return !node || node.kind === 'manual';
    };
    const isWaiting = (args: ReadonlyPartialJSONObject) => {
      const node = shownEntry(args);
      return !node || node.state === 'awaiting_input';
    };

    const name = (entryId: number, item?: IApproval) =>
      item ? `${stepLabel(item.node)} (#${entryId})` : `step #${entryId}`;

    app.commands.addCommand(CommandIDs.showApprovals, {
      label: 'Show PerQueue Human Steps',
      caption: 'The steps waiting for a person, across workflows',
      execute: () => app.shell.activateById(panel.id)
    });

    app.commands.addCommand(CommandIDs.openStep, {
      label: 'Open Human Step Notebook',
      caption: "Open the notebook prepared for a waiting step, with the step's inputs",
      execute: async args => {
        const entryId = await entryOf(args, 'Open');
        if (entryId === null) {
          return;
        }
        const item = steps.find(entryId);
        if (item && !item.spec.notebook) {
          app.shell.activateById(panel.id);
          Notification.info(
            `${name(entryId, item)} has no notebook: approve or reject it from the Human steps panel.`,
            {
              autoClose: 6000
            }
          );
          return;
        }
        try {
          const projectPath = await steps.prepareNotebook(entryId);
          const path = serverPath(projectPath, model.versions?.projectDir, PageConfig.getOption('serverRoot'));
          if (path === null) {
            throw new Error(
              `the notebook ${model.versions?.projectDir}/${projectPath} is outside the folder this JupyterLab serves`
            );
          }
          return await app.commands.execute('docmanager:open', { path, factory: 'Notebook' });
        } catch (error) {
          report(`Opening the notebook of ${name(entryId, item)}`, error);
        }
      }
    });

    /** A command that settles a waiting step: it finds the step, then `settle` asks and acts. */
    const addSettleCommand = (
      id: string,
      label: string,
      caption: string,
      verb: string,
      settle: (entryId: number, args: ReadonlyPartialJSONObject) => Promise<boolean>
    ) =>
      app.commands.addCommand(id, {
        label,
        caption,
        isVisible: args => isStep(args),
        isEnabled: args => isWaiting(args),
        execute: async args => {
          const entryId = await entryOf(args, verb);
          return entryId === null ? false : settle(entryId, args);
        }
      });

    /** Sends a decision: says so once it is stored, reports why when it is refused. */
    const send = async (decision: () => Promise<void>, done: () => void, failure: string): Promise<boolean> => {
      try {
        await decision();
        done();
        return true;
      } catch (error) {
        report(failure, error);
        return false;
      }
    };

    addSettleCommand(
      CommandIDs.approveStep,
      'Approve Human Step…',
      'Complete a waiting step with a result',
      'Approve',
      async (entryId, args) => {
        let item = steps.find(entryId);
        if (!item && !steps.loaded) {
          // The step's spec says whether it has a form: load the list before choosing the dialog.
          await steps.refresh().catch(() => undefined);
          item = steps.find(entryId);
        }
        let data: Record<string, unknown> | null = isRecord(args.data) ? (args.data as Record<string, unknown>) : null;
        const form = data || typeof args.initial === 'string' ? null : formOfStep(item?.spec);
        if (form) {
          // The form and its validator load when a form is first opened, not with JupyterLab.
          const { approveWithForm } = await import('./approveWithForm');
          const approved = await approveWithForm({
            entryId,
            title: `Approve ${name(entryId, item)}`,
            hint: typeof args.hint === 'string' ? args.hint : 'The result becomes the data of this step.',
            schema: form,
            stepDefault: item?.spec.default,
            approve: result => steps.approve(entryId, result)
          });
          if (approved) {
            Notification.success(`Approved ${name(entryId, item)}.`, { autoClose: 4000 });
          }
          return approved;
        }
        if (!data) {
          // The step's default is what the workflow would take at its timeout: the usual answer.
          const initial =
            typeof args.initial === 'string'
              ? args.initial
              : JSON.stringify(isRecord(item?.spec.default) ? item?.spec.default : {}, null, 2);
          const hint =
            typeof args.hint === 'string'
              ? args.hint
              : "The result becomes the data of this step, as a task's returned dict does: a JSON object.";
          data = await askResult(`Approve ${name(entryId, item)}`, initial, hint);
          if (!data) {
            return false;
          }
        }
        const result = data;
        return send(
          () => steps.approve(entryId, result),
          () => Notification.success(`Approved ${name(entryId, item)}.`, { autoClose: 4000 }),
          `Approving ${name(entryId, item)}`
        );
      }
    );

    addSettleCommand(
      CommandIDs.rejectStep,
      'Reject Human Step…',
      'Reject a waiting step, with a reason',
      'Reject',
      async (entryId, args) => {
        const item = steps.find(entryId);
        let reason: string | null = typeof args.reason === 'string' ? args.reason : null;
        if (reason === null) {
          const hint =
            item?.spec.onReject === 'fail'
              ? 'The step fails; what follows it is blocked until it is retried.'
              : 'This branch is discarded, as a filter does.';
          reason = await askReason(`Reject ${name(entryId, item)}`, hint);
          if (reason === null) {
            return false;
          }
        }
        const why = reason;
        return send(
          () => steps.reject(entryId, why),
          () => Notification.info(`Rejected ${name(entryId, item)}.`, { autoClose: 4000 }),
          `Rejecting ${name(entryId, item)}`
        );
      }
    );

    for (const command of [
      CommandIDs.openStep,
      CommandIDs.approveStep,
      CommandIDs.rejectStep,
      CommandIDs.showApprovals
    ]) {
      palette?.addItem({ command, category: PALETTE_CATEGORY });
    }
    // Right-click on a step in a graph: after Show Details, Retry, Cancel, Modify (ranks 1-4).
    app.contextMenu.addItem({
      command: CommandIDs.approveStep,
      args: { fromContextMenu: true },
      selector: CONTEXT_ENTRY_SELECTOR,
      rank: 5
    });
    app.contextMenu.addItem({
      command: CommandIDs.rejectStep,
      args: { fromContextMenu: true },
      selector: CONTEXT_ENTRY_SELECTOR,
      rank: 6
    });
    if (notebooks) {
      addStepToolbars(notebooks, steps, app.commands);
    }

    // A notification when a step starts waiting (the model plugin's settings switch it off).
    let notify = true;
    registry?.load(SETTINGS_ID).then(
      settings => {
        const read = () => {
          notify = (settings.get('notifyAwaitingInput').composite as boolean | undefined) ?? true;
        };
        read();
        settings.changed.connect(read);
      },
      () => undefined
    );
    steps.stepWaiting.connect((_, item) => {
      if (!notify) {
        return;
      }
      const entryId = item.node.id;
      const workflow = model.workflows.find(w => w.id === item.node.workflowId);
      const where = workflow?.name ? `${workflow.name} #${item.node.workflowId}` : `workflow #${item.node.workflowId}`;
      const actions = [
        ...(item.spec.notebook
          ? [{ label: 'Open step', callback: () => void app.commands.execute(CommandIDs.openStep, { entryId }) }]
          : []),
        { label: 'Human steps', callback: () => void app.commands.execute(CommandIDs.showApprovals) }
      ];
      Notification.info(`PerQueue: ${stepLabel(item.node)} (#${entryId}, ${where}) is waiting for you.`, {
        autoClose: 10000,
        actions
      });
    });
  }
};
