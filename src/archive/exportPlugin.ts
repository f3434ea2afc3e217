// Archives one click away: "Export Workflow…" (palette and the Workflows sidebar's context menu)
// asks the bridge for a consistent archive of a workflow (POST /api/export, the same as
// `pql export`) and saves it beside the files JupyterLab shows, where a double-click opens it;
// "Open Workflow Archive…" opens any file picked from this computer, hidden folders included.
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Dialog, ICommandPalette, MainAreaWidget, Notification, showDialog } from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { Widget } from '@lumino/widgets';

import { IPerQueueModel } from '../tokens';
import { pickWorkflow } from '../ui/pickWorkflow';
import { archiveIcon, ARCHIVE_FACTORY, archiveSettings } from './plugin';
import { ARCHIVE_EXTENSION, archiveFileName } from './problems';
import { ArchiveView, type IArchiveSource } from './view';

const ExportCommandIDs = {
  exportWorkflow: 'perqueue:export-workflow',
  openArchive: 'perqueue:open-archive'
} as const;

/** What POST /api/export answers. */
interface IExportAnswer {
  workflows: { id: number; name: string; entries: number }[];
  logs: number;
  size: number;
  content: string;
}

/** The export dialog's body: where to save, and whether the logs go in. */
class ExportBody extends Widget implements Dialog.IBodyWidget<{ path: string; withLogs: boolean }> {
  constructor(path: string) {
    super();
    this.addClass('jp-PerQueue-export');
    const label = document.createElement('label');
    label.textContent = 'Save as ';
    this._path = document.createElement('input');
    this._path.className = 'jp-mod-styled jp-PerQueue-export-path';
    this._path.value = path;
    label.appendChild(this._path);
    const logs = document.createElement('label');
    this._logs = document.createElement('input');
    this._logs.type = 'checkbox';
    this._logs.className = 'jp-PerQueue-export-logs';
    this._logs.checked = true;
    logs.append(this._logs, ' with the logs (stdout and stderr of every run)');
    this.node.append(label, document.createElement('br'), logs);
  }
  getValue(): { path: string; withLogs: boolean } {
    return { path: this._path.value.trim(), withLogs: this._logs.checked };
  }
  private readonly _path: HTMLInputElement;
  private readonly _logs: HTMLInputElement;
}

async function exists(app: JupyterFrontEnd, path: string): Promise<boolean> {
  try {
    await app.serviceManager.contents.get(path, { content: false });
    return true;
  } catch {
    return false;
  }
}

/** Reads a file picked with the browser's own file dialog, as base64. */
function pickFile(): Promise<{ name: string; base64: string } | null> {
  return new Promise(resolve => {
    const input = document.createElement('input');
    input.type = 'file';
    input.className = 'jp-PerQueue-archive-picker';
    input.style.display = 'none';
    input.addEventListener('change', () => {
      const file = input.files?.[0];
      input.remove();
      if (!file) {
        return resolve(null);
      }
      const reader = new FileReader();
      reader.onload = () => resolve({ name: file.name, base64: String(reader.result).replace(/^data:[^,]*,/, '') });
      reader.onerror = () => resolve(null);
      reader.readAsDataURL(file);
    });
    input.addEventListener('cancel', () => {
      input.remove();
      resolve(null);
    });
    document.body.appendChild(input);
    input.click();
  });
}

export const archiveExportPlugin: JupyterFrontEndPlugin<void> = {
  id: 'perqueue-lab:archive-export',
  description: 'Exports workflows to archive files and opens archives picked from this computer.',
  autoStart: true,
  requires: [IPerQueueModel],
  optional: [ICommandPalette, IDefaultFileBrowser],
  activate: (
    app: JupyterFrontEnd,
    model: IPerQueueModel,
    palette: ICommandPalette | null,
    browser: IDefaultFileBrowser | null
  ): void => {
    const { commands } = app;

    const target = (args: ReadonlyPartialJSONObject): number | undefined => {
      if (typeof args.workflowId === 'number') {
        return args.workflowId;
      }
      if (args.fromContextMenu === true) {
        const clicked = app.contextMenuHitTest(node => !!node.dataset.workflowId);
        return clicked ? Number(clicked.dataset.workflowId) : undefined;
      }
      return undefined;
    };

    commands.addCommand(ExportCommandIDs.exportWorkflow, {
      label: args => (args.fromContextMenu ? 'Export Workflow…' : 'Export PerQueue Workflow…'),
      caption: 'Save a workflow (and its logs) as one archive file that opens read-only, with no bridge',
      execute: async args => {
        const workflowId =
          target(args) ??
          (await pickWorkflow(model, 'Export PerQueue workflow', 'No PerQueue workflow in this project to export.'));
        if (workflowId === undefined) {
          return;
        }
        const summary = model.workflows.find(w => w.id === workflowId);
        const folder = browser?.model.path ?? '';
        const suggested = PathExt.join(folder, archiveFileName(summary?.name ?? '', workflowId));
        const result = await showDialog({
          title: `Export workflow #${workflowId}${summary ? ` (${summary.name})` : ''}`,
          body: new ExportBody(suggested),
          buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Export' })]
        });
        if (!result.button.accept || !result.value?.path) {
          return;
        }
        let { path } = result.value;
        if (!PathExt.extname(path)) {
          path += ARCHIVE_EXTENSION;
        }
        if (await exists(app, path)) {
          const replace = await showDialog({
            title: 'Replace the file?',
            body: `${path} exists. Replace it with the archive?`,
            buttons: [Dialog.cancelButton({ label: 'Keep it' }), Dialog.warnButton({ label: 'Replace' })]
          });
          if (!replace.button.accept) {
            return;
          }
        }
        try {
          const answer = await model.request<IExportAnswer>('export', {
            method: 'POST',
            body: JSON.stringify({ workflows: [workflowId], withLogs: result.value.withLogs })
          });
          await app.serviceManager.contents.save(path, { type: 'file', format: 'base64', content: answer.content });
          const entries = answer.workflows.reduce((n, w) => n + w.entries, 0);
          Notification.success(
            `Exported workflow #${workflowId} (${entries} entries${result.value.withLogs ? `, ${answer.logs} logs` : ''}) to ${path}`,
            {
              autoClose: 6000,
              actions: [
                {
                  label: 'Open',
                  callback: () => void commands.execute('docmanager:open', { path, factory: ARCHIVE_FACTORY })
                }
              ]
            }
          );
        } catch (error) {
          Notification.error(`Exporting workflow #${workflowId}: ${(error as Error)?.message ?? error}`, {
            autoClose: false
          });
        }
      }
    });

    commands.addCommand(ExportCommandIDs.openArchive, {
      label: 'Open Workflow Archive…',
      caption:
        'Open a workflow archive or project database from this computer (any folder, hidden ones included), read-only',
      icon: archiveIcon,
      execute: async () => {
        const picked = await pickFile();
        if (!picked) {
          return;
        }
        const source: IArchiveSource = {
          path: picked.name,
          ready: Promise.resolve(),
          model: { toString: () => picked.base64 }
        };
        const content = new ArchiveView({ context: source, settings: archiveSettings() });
        const widget = new MainAreaWidget({ content });
        widget.addClass('jp-PerQueue-archive-widget');
        widget.title.label = picked.name;
        widget.title.icon = archiveIcon;
        widget.title.closable = true;
        app.shell.add(widget, 'main');
      }
    });

    for (const command of [ExportCommandIDs.exportWorkflow, ExportCommandIDs.openArchive]) {
      palette?.addItem({ command, category: 'PerQueue' });
    }
    app.contextMenu.addItem({
      command: ExportCommandIDs.exportWorkflow,
      args: { fromContextMenu: true },
      selector: '.jp-PerQueue-sidebar .jp-PerQueue-workflow',
      rank: 4
    });
  }
};
