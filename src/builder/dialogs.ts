// The builder's dialogs: pick a script in JupyterLab's file dialog, and choose a group's kind and
// parameter. Names found in files are shown as text only.
import { Dialog, showDialog } from '@jupyterlab/apputils';
import type { IDocumentManager } from '@jupyterlab/docmanager';
import { FileDialog } from '@jupyterlab/filebrowser';
import type { Contents } from '@jupyterlab/services';
import { Widget } from '@lumino/widgets';

import { DEFAULT_MAX_TRIES } from '../../core/constants.js';
import { el } from '../ui';
import type { GroupKind, IGroupOptions } from './document';

/** Scripts a task can run. */
export const SCRIPT_PATTERN = /\.(py|sh|ipynb)$/i;
/** Notebooks a manual step opens. */
export const NOTEBOOK_PATTERN = /\.ipynb$/i;

/**
 * Asks for a file in JupyterLab's file dialog, opened in `folder` (the builder document's);
 * folders and files whose names match `pattern` are listed. Resolves to the chosen file's path
 * as the file browser names it, or null.
 */
export async function pickScript(
  manager: IDocumentManager,
  folder: string,
  title = 'Add a task: pick its script',
  pattern: RegExp = SCRIPT_PATTERN
): Promise<string | null> {
  // JupyterLab's dialogs are at most 500 px high, which leaves room for four files: the dialog
  // is put in a host of its own that style/builder.css lets grow with the window.
  const host = document.createElement('div');
  host.className = 'jp-PerQueue-file-dialog';
  document.body.appendChild(host);
  let result: Dialog.IResult<Contents.IModel[]>;
  try {
    result = await FileDialog.getOpenFiles({
      manager,
      title,
      host,
      defaultPath: folder,
      label: pattern === NOTEBOOK_PATTERN ? 'Notebooks (.ipynb) are listed.' : 'Scripts (.py, .sh, .ipynb) are listed.',
      filter: model => (model.type === 'directory' || pattern.test(model.name) ? {} : null)
    });
  } finally {
    host.remove();
  }
  const file = result.button.accept
    ? (result.value ?? []).find(m => m.type !== 'directory' && pattern.test(m.name))
    : undefined;
  return file ? file.path : null;
}

const KIND_LABELS: Record<GroupKind, string> = {
  static_width: 'StaticWidthGroup (fixed width)',
  dynamic_width: 'DynamicWidthGroup (width from pq_dwg_width)',
  cyclical: 'CyclicalGroup (repeat until pq_toggle_key)',
  switch: 'SwitchGroup (branch from pq_switch_key)'
};

class GroupBody extends Widget {
  constructor(branches: number, kind: GroupKind) {
    super();
    this.addClass('jp-PerQueue-group-form');
    const row = (label: string, input: HTMLElement, hint = '') => {
      const wrapper = el('label', 'jp-PerQueue-form-row');
      wrapper.appendChild(el('span', 'jp-PerQueue-form-label', label));
      wrapper.appendChild(input);
      if (hint) {
        wrapper.appendChild(el('span', 'jp-PerQueue-form-hint', hint));
      }
      this.node.appendChild(wrapper);
      return wrapper;
    };
    this._kind.className = 'jp-mod-styled jp-PerQueue-group-kind';
    for (const [value, label] of Object.entries(KIND_LABELS)) {
      const option = el('option', '', label);
      option.value = value;
      this._kind.appendChild(option);
    }
    this._kind.value = kind;
    row('Group', this._kind);
    this._name.className = 'jp-mod-styled jp-PerQueue-group-name';
    this._name.placeholder = 'optional (SWG, DWG, CG, SG)';
    row('Name', this._name);
    this._width.type = 'number';
    this._width.min = '1';
    this._width.value = '2';
    this._width.className = 'jp-mod-styled jp-PerQueue-group-width';
    this._widthRow = row('Width', this._width);
    this._maxTries.type = 'number';
    this._maxTries.min = '1';
    this._maxTries.value = String(DEFAULT_MAX_TRIES);
    this._maxTries.className = 'jp-mod-styled jp-PerQueue-group-max-tries';
    this._maxTriesRow = row('max_tries', this._maxTries);
    this._keys.className = 'jp-mod-styled jp-PerQueue-group-keys';
    this._keys.value = Array.from({ length: branches }, (_, i) => String.fromCharCode(97 + (i % 26))).join(', ');
    this._keysRow = row(
      'Branch keys',
      this._keys,
      `${branches} branch${branches === 1 ? '' : 'es'}: connected items form one branch; comma-separated keys in their order`
    );
    this._kind.addEventListener('change', () => this._sync());
    this._sync();
  }

  getValue(): IGroupOptions {
    const kind = this._kind.value as GroupKind;
    const options: IGroupOptions = { kind };
    if (this._name.value.trim()) {
      options.name = this._name.value.trim();
    }
    if (kind === 'static_width') {
      options.width = Number(this._width.value);
    } else if (kind === 'cyclical') {
      options.maxTries = Number(this._maxTries.value);
    } else if (kind === 'switch') {
      options.keys = this._keys.value.split(',').map(k => k.trim());
    }
    return options;
  }

  private _sync(): void {
    const kind = this._kind.value;
    this._widthRow.hidden = kind !== 'static_width';
    this._maxTriesRow.hidden = kind !== 'cyclical';
    this._keysRow.hidden = kind !== 'switch';
  }

  private readonly _kind = document.createElement('select');
  private readonly _name = document.createElement('input');
  private readonly _width = document.createElement('input');
  private readonly _maxTries = document.createElement('input');
  private readonly _keys = document.createElement('input');
  private readonly _widthRow: HTMLElement;
  private readonly _maxTriesRow: HTMLElement;
  private readonly _keysRow: HTMLElement;
}

/** Asks for a group's kind and parameter; `branches` is what a SwitchGroup would get. */
export async function askGroup(branches: number, kind: GroupKind = 'static_width'): Promise<IGroupOptions | null> {
  const result = await showDialog({
    title: 'Put the selection in a group',
    body: new GroupBody(branches, kind),
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Group' })]
  });
  return result.button.accept ? (result.value as IGroupOptions) : null;
}
