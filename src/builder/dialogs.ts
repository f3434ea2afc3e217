// The builder's dialogs: pick a script from the project's files (through the contents API), and
// choose a group's kind and parameter. Names found in files are shown as text only.
import { Dialog, showDialog } from '@jupyterlab/apputils';
import type { Contents } from '@jupyterlab/services';
import { Widget } from '@lumino/widgets';

import { DEFAULT_MAX_TRIES } from '../../core/constants.js';
import { el } from '../ui';
import type { GroupKind, IGroupOptions } from './document';

/** Scripts a task can run. */
const SCRIPT_PATTERN = /\.(py|sh|ipynb)$/i;

/**
 * Files under `root` whose names match, breadth first, skipping hidden folders; stops after
 * `limit` files or `maxFolders` folders so a huge project does not hang the dialog.
 */
async function listScripts(
  contents: Contents.IManager,
  root = '',
  pattern: RegExp = SCRIPT_PATTERN,
  limit = 1000,
  maxFolders = 200,
): Promise<string[]> {
  const found: string[] = [];
  const queue = [root];
  let folders = 0;
  while (queue.length && found.length < limit && folders < maxFolders) {
    const dir = queue.shift()!;
    folders++;
    let listing: Contents.IModel;
    try {
      listing = await contents.get(dir, { content: true });
    } catch {
      continue;
    }
    const items = (listing.content as Contents.IModel[] | null) ?? [];
    for (const item of [...items].sort((a, b) => a.path.localeCompare(b.path))) {
      if (item.name.startsWith('.')) {
        continue;
      }
      if (item.type === 'directory') {
        queue.push(item.path);
      } else if (pattern.test(item.name)) {
        found.push(item.path);
      }
    }
  }
  return found;
}

class PickBody extends Widget {
  constructor(paths: string[], title: string) {
    super();
    this.addClass('jp-PerQueue-pick');
    this._filter.type = 'search';
    this._filter.placeholder = 'Filter';
    this._filter.className = 'jp-mod-styled jp-PerQueue-pick-filter';
    this._filter.setAttribute('aria-label', `Filter ${title}`);
    this._list.className = 'jp-mod-styled jp-PerQueue-pick-list';
    this._list.size = 12;
    this._list.setAttribute('aria-label', title);
    this._paths = paths;
    this._filter.addEventListener('input', () => this._render());
    this.node.appendChild(this._filter);
    this.node.appendChild(this._list);
    if (!paths.length) {
      this.node.appendChild(el('p', 'jp-PerQueue-pick-empty', 'No .py, .sh or .ipynb file found in this folder tree.'));
    }
    this._render();
  }

  getValue(): string | null {
    return this._list.value || null;
  }

  protected onAfterAttach(): void {
    this._filter.focus();
  }

  private _render(): void {
    const text = this._filter.value.trim().toLowerCase();
    while (this._list.firstChild) {
      this._list.removeChild(this._list.firstChild);
    }
    for (const path of this._paths.filter((p) => p.toLowerCase().includes(text))) {
      const option = el('option', '', path);
      option.value = path;
      this._list.appendChild(option);
    }
    if (this._list.options.length) {
      this._list.selectedIndex = 0;
    }
  }

  private readonly _filter = document.createElement('input');
  private readonly _list = document.createElement('select');
  private readonly _paths: string[];
}

/** Asks for a script; resolves to its path relative to the server root, or null. */
export async function pickScript(contents: Contents.IManager, title = 'Add a task: pick its script'): Promise<string | null> {
  const paths = await listScripts(contents);
  const result = await showDialog({
    title,
    body: new PickBody(paths, 'Scripts'),
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Add' })],
  });
  return result.button.accept ? (result.value as string | null) : null;
}

const KIND_LABELS: Record<GroupKind, string> = {
  static_width: 'StaticWidthGroup (fixed width)',
  dynamic_width: 'DynamicWidthGroup (width from pq_dwg_width)',
  cyclical: 'CyclicalGroup (repeat until pq_toggle_key)',
  switch: 'SwitchGroup (branch from pq_switch_key)',
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
      `${branches} branch${branches === 1 ? '' : 'es'}: connected items form one branch; comma-separated keys in their order`,
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
      options.keys = this._keys.value.split(',').map((k) => k.trim());
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
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Group' })],
  });
  return result.button.accept ? (result.value as IGroupOptions) : null;
}
