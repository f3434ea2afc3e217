// The builder's properties pane: the fields of the selected item (a task, a manual step, a group,
// a switch branch) or of the workflow when nothing single is selected. Every change goes through
// the editor's edit(), which writes the document once and redraws.
import type { JsonObject, NodeSpec } from '../../../core/spec.js';
import { branchPath, splitBranchPath } from '../../../core/specPath.js';
import { button, clear, el } from '../../ui';
import { NOTEBOOK_PATTERN, SCRIPT_PATTERN } from '../dialogs';
import { BuilderError, type DefinitionModel } from '../document';

/** What the pane needs from the editor around it. */
interface IPropertiesContext {
  definition: DefinitionModel | null;
  selection: readonly string[];
  /** Asks for a file; resolves to its path relative to the document's folder, or null. */
  pickFile(title: string, pattern: RegExp): Promise<string | null>;
  /** Applies a change to the document and writes it. */
  edit(fn: () => void): void;
  /** The items to select once the canvas is drawn again (null: keep the selection). */
  selectAfterRender(paths: string[] | null): void;
  render(): void;
  ungroup(): void;
}

/** Turns a file-browser path (a folder or a file) into an absolute path, from the first absolute root. */
export function absolutePath(relative: string, roots: Array<string | null | undefined>): string {
  if (relative.startsWith('/')) {
    return relative;
  }
  const root = roots.find(r => !!r && r.startsWith('/'));
  if (!root) {
    throw new BuilderError(
      "the project folder is unknown: set 'Project folder' in Settings → PerQueue Lab to the absolute path of the file browser's root"
    );
  }
  return `${root.replace(/\/+$/, '')}/${relative.replace(/^\/+/, '')}`;
}

export function renderProperties(node: HTMLElement, ctx: IPropertiesContext): void {
  const focused = (document.activeElement as HTMLElement | null)?.dataset?.field;
  clear(node);
  const definition = ctx.definition;
  if (!definition) {
    return;
  }
  const form = el('div', 'jp-PerQueue-builder-form');
  node.appendChild(form);
  const field = (
    label: string,
    key: string,
    input: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement,
    hint = ''
  ) => {
    const row = el('label', 'jp-PerQueue-form-row');
    row.appendChild(el('span', 'jp-PerQueue-form-label', label));
    input.classList.add('jp-mod-styled', 'jp-PerQueue-field');
    input.dataset.field = key;
    row.appendChild(input);
    if (hint) {
      row.appendChild(el('span', 'jp-PerQueue-form-hint', hint));
    }
    form.appendChild(row);
    return input;
  };
  const text = (label: string, key: string, value: string, apply: (v: string) => void, hint = '') => {
    const input = document.createElement('input');
    input.value = value;
    input.addEventListener('change', () => ctx.edit(() => apply(input.value)));
    return field(label, key, input, hint);
  };
  const area = (label: string, key: string, value: string, apply: (v: string) => void, hint = '') => {
    const input = document.createElement('textarea');
    input.rows = 4;
    input.value = value;
    input.addEventListener('change', () => ctx.edit(() => apply(input.value)));
    return field(label, key, input, hint);
  };
  const json = (label: string, key: string, path: string, value: unknown, optional = false) => {
    const error = el('span', 'jp-PerQueue-form-error');
    const input = area(label, key, value === undefined ? '' : JSON.stringify(value, null, 2), v => {
      if (optional && !v.trim()) {
        definition.setField(path, key, undefined);
        return;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(v);
      } catch (e) {
        error.textContent = `Not JSON: ${(e as Error).message}`;
        return;
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        error.textContent = 'Give a JSON object, e.g. {"epochs": 10}';
        return;
      }
      error.textContent = '';
      definition.setField(path, key, parsed as JsonObject);
    });
    input.parentElement!.appendChild(error);
    return input;
  };
  const number = (label: string, key: string, path: string, value: number | undefined, min: number) => {
    const input = document.createElement('input');
    input.type = 'number';
    input.min = String(min);
    input.value = value === undefined ? '' : String(value);
    input.addEventListener('change', () =>
      ctx.edit(() => definition.setField(path, key, input.value === '' ? undefined : Number(input.value)))
    );
    return field(label, key, input);
  };

  const selected = ctx.selection.length === 1 ? ctx.selection[0] : null;
  const spec = selected ? definition.nodeAt(selected) : undefined;
  if (!selected || !spec) {
    form.appendChild(el('h3', 'jp-PerQueue-builder-heading', 'Workflow'));
    text('Name', 'workflow-name', definition.name, v => definition.setName(v.trim()));
    const hint = ctx.selection.length
      ? `${ctx.selection.length} items selected: Connect links the first to the second; Group puts them in a group.`
      : 'Add tasks, select two and Connect them (first runs before second), select several and Group them. Click an item to edit it.';
    form.appendChild(el('p', 'jp-PerQueue-form-hint', hint));
    restoreFocus(node, focused);
    return;
  }
  const item = definition.items().find(i => i.path === selected);
  const heading = el('h3', 'jp-PerQueue-builder-heading', KIND_TITLES[spec.kind] ?? spec.kind);
  form.appendChild(heading);
  form.appendChild(el('p', 'jp-PerQueue-builder-path', selected));
  const s = spec as unknown as Record<string, unknown>;
  if (item?.kind === 'branch') {
    const { switchPath, key } = splitBranchPath(selected)!;
    text('Branch key', 'branch', key, v => {
      ctx.selectAfterRender([branchPath(switchPath, v.trim())]);
      definition.renameBranch(switchPath, key, v.trim());
    });
    restoreFocus(node, focused);
    return;
  }
  const rename = (v: string) => {
    definition.setField(selected, 'name', v.trim() || undefined);
    const cut = selected.lastIndexOf('/');
    const renamed = definition
      .items()
      .find(i => i.path.startsWith(selected.slice(0, cut + 1)) && definition.nodeAt(i.path) === spec);
    ctx.selectAfterRender(renamed ? [renamed.path] : null);
    ctx.render();
  };
  /** A button below a path field: the file picked goes into `key`, relative to this file's folder. */
  const pick = (label: string, className: string, title: string, pattern: RegExp, key: string) =>
    form.appendChild(
      button(label, className, () => {
        void ctx.pickFile(title, pattern).then(rel => {
          if (rel) {
            ctx.edit(() => definition.setField(selected, key, rel));
          }
        });
      })
    );
  switch (spec.kind) {
    case 'task':
      text('Name', 'name', spec.name, rename);
      text(
        'Script',
        'code',
        spec.code,
        v => definition.setField(selected, 'code', v.trim()),
        'relative to this file’s folder (sub/run.py, ../run.py), or absolute'
      );
      pick('Pick script…', 'jp-PerQueue-pick-script', 'Pick the task’s script', SCRIPT_PATTERN, 'code');
      text(
        'Function',
        'func',
        spec.func ?? '',
        v => definition.setField(selected, 'func', v.trim() || undefined),
        'of a Python script, called instead of main (PerQueue’s func)'
      );
      json('Arguments (JSON)', 'args', selected, spec.args);
      text(
        'Resources',
        'resources',
        spec.resources,
        v => definition.setField(selected, 'resources', v.trim()),
        'cores[:processes][:gpus G][:node]:time, e.g. 1:local:10m'
      );
      number('Retries', 'retries', selected, spec.retries ?? 0, 0);
      area(
        'Preamble',
        'preamble',
        spec.preamble ?? '',
        v => definition.setField(selected, 'preamble', v || undefined),
        'shell lines run first, e.g. module load vasp'
      );
      break;
    case 'manual': {
      text('Name', 'name', spec.name, rename);
      text(
        'Notebook',
        'notebook',
        spec.notebook ?? '',
        v => definition.setField(selected, 'notebook', v.trim() || undefined),
        'relative to this file’s folder, or absolute'
      );
      pick('Pick notebook…', 'jp-PerQueue-pick-notebook', 'Pick the step’s notebook', NOTEBOOK_PATTERN, 'notebook');
      json('Arguments (JSON)', 'args', selected, spec.args);
      const reject = document.createElement('select');
      for (const value of ['discard', 'fail']) {
        const option = el('option', '', value);
        option.value = value;
        reject.appendChild(option);
      }
      reject.value = spec.onReject;
      reject.addEventListener('change', () => ctx.edit(() => definition.setField(selected, 'onReject', reject.value)));
      field('On reject', 'onReject', reject);
      number('Timeout (s)', 'timeout', selected, spec.timeout, 1);
      json('Default result (JSON)', 'default', selected, spec.default, true);
      break;
    }
    case 'static_width':
      text('Name', 'name', spec.name ?? '', rename, 'optional');
      number('Width', 'width', selected, spec.width, 1);
      break;
    case 'cyclical':
      text('Name', 'name', spec.name ?? '', rename, 'optional');
      number('max_tries', 'maxTries', selected, spec.maxTries, 1);
      break;
    default:
      text('Name', 'name', (s.name as string | undefined) ?? '', rename, 'optional');
      if (spec.kind === 'switch') {
        form.appendChild(
          el(
            'p',
            'jp-PerQueue-form-hint',
            `Branches: ${Object.keys(spec.branches).join(', ')}. Select a branch to rename its key.`
          )
        );
      }
  }
  if (spec.kind !== 'task' && spec.kind !== 'manual') {
    form.appendChild(button('Ungroup', 'jp-PerQueue-ungroup', () => ctx.ungroup()));
  }
  restoreFocus(node, focused);
}

function restoreFocus(node: HTMLElement, key: string | undefined): void {
  if (key) {
    (node.querySelector(`[data-field="${CSS.escape(key)}"]`) as HTMLElement | null)?.focus();
  }
}

const KIND_TITLES: Partial<Record<NodeSpec['kind'], string>> = {
  task: 'Task',
  manual: 'Manual step',
  static_width: 'StaticWidthGroup',
  dynamic_width: 'DynamicWidthGroup',
  cyclical: 'CyclicalGroup',
  switch: 'SwitchGroup',
  workflow: 'Workflow'
};
