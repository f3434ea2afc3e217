// The graphical builder: a workflow-definition document drawn with cytoscape (tasks as boxes,
// groups as frames around their content), a properties pane for the selected item, the list of
// problems found by core's validateSpec, and submission through the PerQueue model. It edits
// the document only through DefinitionModel, and writes the result into the document context,
// which owns saving. Everything a file or a person wrote is shown as text.
import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import type { IDocumentManager } from '@jupyterlab/docmanager';
import type { DocumentRegistry } from '@jupyterlab/docregistry';
import type { Contents } from '@jupyterlab/services';
import type { CommandRegistry } from '@lumino/commands';
import type { Message } from '@lumino/messaging';
import { Signal } from '@lumino/signaling';
import { BoxLayout, SplitPanel, Widget } from '@lumino/widgets';
import cytoscape from 'cytoscape';
import dagre from 'cytoscape-dagre';

import { bodyPath, ROOT_PATH } from '../../../core/specPath.js';
import { CommandIDs, type IPerQueueModel } from '../../tokens';
import { clear, el, onThemeChange } from '../../ui';
import { askGroup, NOTEBOOK_PATTERN, pickScript, SCRIPT_PATTERN } from '../dialogs';
import {
  folderOf,
  fromRootRelative,
  normalizePath,
  resolveScriptPath,
  scriptPaths,
  storedScriptPath
} from '../../../core/scriptPaths.js';
import { absolutePath, renderProperties } from './properties';
import { builderStyle } from './style';
import { BuilderError, DefinitionModel, DEFAULT_RESOURCES, type IProblem } from '../document';

cytoscape.use(dagre);

export interface IBuilderSettings {
  /** Resources of a new task. */
  defaultResources: string;
  /** Absolute folder the file browser's root stands for (empty: the server root). */
  projectFolder: string;
  layoutDirection: 'TB' | 'LR';
}

export const DEFAULT_BUILDER_SETTINGS: IBuilderSettings = {
  defaultResources: DEFAULT_RESOURCES,
  projectFolder: '',
  layoutDirection: 'TB'
};

interface IBuilderOptions {
  context: DocumentRegistry.Context;
  contents: Contents.IManager;
  /** For JupyterLab's file dialog, where scripts are picked. */
  manager: IDocumentManager;
  /** The bridge connection, for submitting; null where the model plugin is absent. */
  perqueue: IPerQueueModel | null;
  commands: CommandRegistry;
  settings: () => IBuilderSettings;
  /** The Jupyter server's root folder (PageConfig serverRoot). */
  serverRoot: string;
}

export class WorkflowBuilder extends SplitPanel {
  constructor(options: IBuilderOptions) {
    super({ orientation: 'horizontal', spacing: 1 });
    this._options = options;
    this.addClass('jp-PerQueue-builder');

    this._canvas = new Widget();
    this._canvas.addClass('jp-PerQueue-builder-canvas');
    this._canvas.node.tabIndex = 0;
    this._canvas.node.setAttribute('role', 'application');
    this._canvas.node.setAttribute('aria-label', 'Workflow definition graph');
    this._message = el('div', 'jp-PerQueue-graph-message');
    this._canvas.node.appendChild(this._message);
    this._canvas.node.addEventListener('keydown', event => {
      if ((event.key === 'Delete' || event.key === 'Backspace') && this._selection.length) {
        event.preventDefault();
        this.deleteSelected();
      }
    });

    const side = new Widget();
    side.addClass('jp-PerQueue-builder-side');
    side.layout = new BoxLayout({ direction: 'top-to-bottom' });
    this._properties = new Widget();
    this._properties.addClass('jp-PerQueue-builder-properties');
    this._problems = new Widget();
    this._problems.addClass('jp-PerQueue-builder-problems');
    this._problems.node.setAttribute('aria-live', 'polite');
    (side.layout as BoxLayout).addWidget(this._properties);
    (side.layout as BoxLayout).addWidget(this._problems);
    BoxLayout.setStretch(this._properties, 3);
    BoxLayout.setStretch(this._problems, 1);

    this.addWidget(this._canvas);
    this.addWidget(side);
    this.setRelativeSizes([3, 1.3]);

    this._stopThemeWatch = onThemeChange(() => this._cy?.style(builderStyle(this.node)));
    const context = options.context;
    this._showMessage('Loading…');
    void context.ready.then(() => {
      this._load();
      context.model.contentChanged.connect(this._onContentChanged, this);
    });
  }

  /** The definition edited, or null while the file cannot be read as one. */
  get definition(): DefinitionModel | null {
    return this._definition;
  }

  get cytoscape(): cytoscape.Core | null {
    return this._cy;
  }

  /** Selected item paths, in the order they were selected (connect goes first → second). */
  get selection(): readonly string[] {
    return this._selection;
  }

  get problems(): readonly IProblem[] {
    return this._problemList;
  }

  /** Emitted when the selection or the document changes (toolbar buttons follow it). */
  get stateChanged(): Signal<this, void> {
    return this._stateChanged;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._options.context.model.contentChanged.disconnect(this._onContentChanged, this);
    this._stopThemeWatch();
    this._cy?.destroy();
    this._cy = null;
    super.dispose();
  }

  /** Selects items by path, replacing the selection (for keyboard users and tests). */
  select(paths: string[]): void {
    this._selection = [];
    this._cy?.nodes().unselect();
    for (const p of paths) {
      this._cy?.getElementById(p).select();
      if (!this._selection.includes(p)) {
        this._selection.push(p);
      }
    }
    this._renderProperties();
    this._stateChanged.emit();
  }

  async addTask(): Promise<void> {
    return this._addPicked('Add a task: pick its script', SCRIPT_PATTERN, (definition, code) =>
      definition.addTask(
        { code, resources: this._options.settings().defaultResources || DEFAULT_RESOURCES },
        this._targetWorkflow()
      )
    );
  }

  async addManual(): Promise<void> {
    return this._addPicked(
      'Add a manual step: pick the notebook the person works in',
      NOTEBOOK_PATTERN,
      (definition, notebook) => {
        const name = notebook.slice(notebook.lastIndexOf('/') + 1).replace(/\.ipynb$/i, '');
        return definition.addManual(name, notebook, this._targetWorkflow());
      }
    );
  }

  /** Asks for a file; once one is picked, `add` makes an item of it, which is then selected. */
  private async _addPicked(
    title: string,
    pattern: RegExp,
    add: (definition: DefinitionModel, file: string) => string
  ): Promise<void> {
    const definition = this._definition;
    if (!definition) {
      return;
    }
    const file = await this._pickFile(title, pattern);
    if (!file) {
      return;
    }
    this._edit(() => {
      this._pendingSelect = [add(definition, file)];
    });
  }

  connectSelected(): void {
    const [a, b] = this._selection;
    if (this._selection.length !== 2) {
      Notification.warning('Select two items: the first runs before the second.', { autoClose: 4000 });
      return;
    }
    this._edit(() => this._definition?.connect(a, b));
  }

  async groupSelected(): Promise<void> {
    const definition = this._definition;
    if (!definition || !this._selection.length) {
      Notification.warning('Select the items to put in a group first.', { autoClose: 4000 });
      return;
    }
    const paths = [...this._selection];
    const options = await askGroup(definition.branchCount(paths));
    if (options) {
      this._edit(() => {
        this._pendingSelect = [definition.wrap(paths, options)];
      });
    }
  }

  ungroupSelected(): void {
    const [path] = this._selection;
    this._edit(() => this._definition?.unwrap(path));
  }

  deleteSelected(): void {
    const definition = this._definition;
    if (!definition) {
      return;
    }
    const edges = this._cy?.edges(':selected').map(e => [e.data('source') as string, e.data('target') as string]) ?? [];
    const nodes = this._selection.filter(p => definition.items().some(i => i.path === p && i.kind !== 'branch'));
    this._edit(() => {
      for (const [s, t] of edges) {
        definition.disconnect(s, t);
      }
      if (nodes.length) {
        definition.remove(nodes);
      }
    });
  }

  /** Lays the graph out again and keeps the positions in the file. */
  relayout(): void {
    this._runLayout(true);
  }

  /** Submits the definition (without its layout) to the bridge; resolves to the workflow id. */
  async submit(): Promise<number | null> {
    const definition = this._definition;
    const perqueue = this._options.perqueue;
    if (!definition || !perqueue) {
      return null;
    }
    if (this._problemList.length) {
      await showDialog({
        title: 'The definition has problems',
        body: this._problemList
          .map(p => `${p.node ?? definition.name}${p.field ? ` (${p.field})` : ''}: ${p.message}`)
          .join('\n'),
        buttons: [Dialog.okButton()]
      });
      return null;
    }
    try {
      // Relative script paths are relative to this file's folder; the bridge gets absolute ones.
      const id = await perqueue.submit(definition.toSpec(this._resolvePath(true)));
      const commands = this._options.commands;
      Notification.success(`Submitted ${definition.name} as workflow #${id}.`, {
        autoClose: 6000,
        actions: [
          { label: 'Open graph', callback: () => void commands.execute(CommandIDs.openWorkflow, { workflowId: id }) }
        ]
      });
      return id;
    } catch (error) {
      const e = error as { message?: string; fix?: string };
      Notification.error(
        `Submitting ${definition.name} failed: ${e.message ?? String(error)}${e.fix ? ' ' + e.fix : ''}`,
        {
          autoClose: 10000
        }
      );
      return null;
    }
  }

  get canSubmit(): boolean {
    return !!this._definition && !!this._options.perqueue && this._problemList.length === 0;
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    if (this._definition && !this._cy) {
      this._render();
    }
  }

  protected onResize(msg: Widget.ResizeMessage): void {
    super.onResize(msg);
    this._cy?.resize();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._cy?.resize();
  }

  // ------------------------------------------------------------------ document

  private _load(): void {
    const text = this._options.context.model.toString();
    const name =
      this._options.context.path
        .split('/')
        .pop()!
        .replace(/\.pqwf(\.json)?$|\.json$/i, '') || 'workflow';
    try {
      const definition = DefinitionModel.fromText(text, name);
      this._definition?.changed.disconnect(this._onDefinitionChanged, this);
      this._definition = definition;
      definition.changed.connect(this._onDefinitionChanged, this);
      this._lastText = text;
      if (!text.trim()) {
        // A new file gets the skeleton right away, so that saving it gives a definition.
        this._write();
      }
      this._showMessage('');
      void this._adoptRootRelativePaths(definition);
    } catch (error) {
      this._definition = null;
      this._showMessage(
        `This file is not a workflow definition: ${(error as Error).message}. Open it with the text editor to fix it.`
      );
    }
    this._selection = [];
    this._render();
  }

  private _onContentChanged(): void {
    // Edits made elsewhere (revert, another editor): read the file again.
    if (this._options.context.model.toString() !== this._lastText) {
      this._load();
    }
  }

  private _onDefinitionChanged(): void {
    // Drawn first, so that where new items were placed is written with the edit.
    this._render();
    this._write();
  }

  private _write(): void {
    const text = this._definition!.toText();
    this._lastText = text;
    this._options.context.model.fromString(text);
  }

  /** Runs an edit; a refused edit is explained, not thrown. */
  private _edit(fn: () => void): void {
    try {
      fn();
      if (this._pendingSelect && this._cy) {
        const pending = this._pendingSelect;
        this._pendingSelect = null;
        this.select(pending.filter(p => wanted(this._cy!, p)));
      }
    } catch (error) {
      Notification.warning(error instanceof BuilderError ? error.message : String((error as Error)?.message ?? error), {
        autoClose: 6000
      });
    }
  }

  private _roots(): Array<string | null | undefined> {
    const versions = this._options.perqueue?.versions as Record<string, unknown> | null | undefined;
    return [
      this._options.settings().projectFolder,
      this._options.serverRoot,
      versions?.projectDir as string | undefined
    ];
  }

  /** Asks for a file in the file dialog, opened in this file's folder; its path relative to that folder. */
  private async _pickFile(title: string, pattern: RegExp): Promise<string | null> {
    const documentPath = this._options.context.path;
    const picked = await pickScript(this._options.manager, folderOf(documentPath), title, pattern);
    return picked === null ? null : storedScriptPath(picked, documentPath);
  }

  /**
   * Turns a stored script path into an absolute one, against this file's absolute folder. While
   * the project folder is unknown, `strict` refuses (submitting) and the rest checks the paths
   * against a stand-in folder (validating).
   */
  private _resolvePath(strict: boolean): (stored: string) => string {
    const folder = folderOf(this._options.context.path);
    let absolute: string;
    try {
      absolute = absolutePath(folder, this._roots());
    } catch (error) {
      if (strict) {
        throw error;
      }
      absolute = `/${folder}`;
    }
    return stored => resolveScriptPath(stored, absolute);
  }

  /**
   * Older documents held relative paths from the file browser's root rather than from their own
   * folder: a relative path that names no file from this folder but does from the root is
   * rewritten relative to this folder, so that it keeps naming the same file.
   */
  private async _adoptRootRelativePaths(definition: DefinitionModel): Promise<void> {
    const documentPath = this._options.context.path;
    const folder = folderOf(documentPath);
    if (!folder) {
      return;
    }
    const contents = this._options.contents;
    const exists = async (path: string) => {
      try {
        await contents.get(path, { content: false });
        return true;
      } catch {
        return false;
      }
    };
    const rewrites: { path: string; field: 'code' | 'notebook'; value: string }[] = [];
    for (const item of definition.items()) {
      const node = definition.nodeAt(item.path);
      if (!node || (node.kind !== 'task' && node.kind !== 'manual')) {
        continue;
      }
      for (const { field, value } of scriptPaths(node)) {
        if (!value || value.startsWith('/')) {
          continue;
        }
        const fromHere = normalizePath(`${folder}/${value}`);
        if (!fromHere.startsWith('..') && (await exists(fromHere))) {
          continue;
        }
        if (await exists(normalizePath(value))) {
          rewrites.push({ path: item.path, field, value: fromRootRelative(value, documentPath) });
        }
      }
    }
    if (!rewrites.length || this._definition !== definition) {
      return;
    }
    this._edit(() => {
      for (const r of rewrites) {
        definition.setField(r.path, r.field, r.value);
      }
    });
    Notification.info(
      `${rewrites.length} script path${rewrites.length === 1 ? '' : 's'} of ${definition.name} now relative to this file’s folder (${rewrites
        .map(r => r.value)
        .join(', ')}); save to keep ${rewrites.length === 1 ? 'it' : 'them'}.`,
      { autoClose: 8000 }
    );
  }

  /** New items go into the selected group's workflow when one group is selected. */
  private _targetWorkflow(): string {
    const definition = this._definition!;
    if (this._selection.length === 1) {
      const node = definition.nodeAt(this._selection[0]);
      if (node && 'body' in node && node.body.kind === 'workflow') {
        return bodyPath(this._selection[0]);
      }
      if (node?.kind === 'workflow') {
        return this._selection[0];
      }
    }
    return ROOT_PATH;
  }

  // ------------------------------------------------------------------ drawing

  private _render(): void {
    const definition = this._definition;
    this._problemList = definition ? definition.validate(this._resolvePath(false)) : [];
    this._renderProblems();
    if (!this.isAttached) {
      return;
    }
    if (!definition) {
      this._cy?.elements().remove();
      this._renderProperties();
      this._stateChanged.emit();
      return;
    }
    if (!this._cy) {
      this._cy = cytoscape({
        container: this._canvas.node,
        elements: [],
        style: builderStyle(this.node),
        minZoom: 0.1,
        maxZoom: 3,
        wheelSensitivity: 0.3,
        selectionType: 'additive',
        boxSelectionEnabled: true
      });
      const cy = this._cy;
      cy.on('select', 'node', event => {
        const id = event.target.id() as string;
        if (!this._selection.includes(id)) {
          this._selection.push(id);
        }
        this._selectionChangedSoon();
      });
      cy.on('unselect', 'node', event => {
        this._selection = this._selection.filter(p => p !== event.target.id());
        this._selectionChangedSoon();
      });
      cy.on('select unselect', 'edge', () => this._selectionChangedSoon());
      cy.on('dragfree', 'node', () => {
        this._definition?.setPositions(this._leafPositions());
      });
    }
    const cy = this._cy;
    const before = new Set(cy.nodes().map(n => n.id()));
    const invalid = new Set(this._problemList.map(p => p.path).filter((p): p is string => !!p));
    const known = { ...definition.positions() };
    // Edits change items in place: an item grouped, ungrouped or renamed gets a new path but is
    // the same spec object, and stays where it was drawn.
    const bySpec = new Map<unknown, { x: number; y: number }>();
    cy.nodes().forEach(n => {
      if (n.isChildless()) {
        known[n.id()] = { ...n.position() };
        const spec = this._drawnSpecs.get(n.id());
        if (spec) {
          bySpec.set(spec, { ...n.position() });
        }
      }
    });
    const items = definition.items();
    this._drawnSpecs = new Map(items.map(item => [item.path, definition.nodeAt(item.path)]));
    for (const item of items) {
      const at = known[item.path] ? undefined : bySpec.get(this._drawnSpecs.get(item.path));
      if (at) {
        known[item.path] = at;
      }
    }
    cy.batch(() => {
      const wanted = new Set<string>();
      for (const item of items) {
        wanted.add(item.path);
        const data = { id: item.path, label: item.label, kind: item.kind, parent: item.parent ?? undefined };
        const classes = [item.kind, item.compound ? 'compound' : 'leaf', invalid.has(item.path) ? 'invalid' : '']
          .join(' ')
          .trim();
        const existing = cy.getElementById(item.path);
        if (existing.nonempty() && (existing.data('parent') ?? undefined) === data.parent) {
          existing.data(data);
          existing.classes(classes);
          if (this._selection.includes(item.path)) {
            existing.select();
          }
        } else {
          existing.remove();
          cy.add({ group: 'nodes', data, classes });
        }
      }
      for (const edge of definition.edges()) {
        wanted.add(edge.id);
        if (cy.getElementById(edge.id).empty()) {
          cy.add({ group: 'edges', data: { ...edge } });
        }
      }
      cy.elements().forEach(element => {
        if (!wanted.has(element.id())) {
          element.remove();
        }
      });
    });
    this._selection = this._selection.filter(p => wanted(cy, p));
    if (this._pendingSelect) {
      const pending = this._pendingSelect;
      this._pendingSelect = null;
      this.select(pending.filter(p => wanted(cy, p)));
    }
    const leaves = cy.nodes().filter(n => n.isChildless());
    const missing = leaves.filter(n => !known[n.id()]);
    if (missing.nonempty() && missing.length === leaves.length) {
      // Nothing placed yet (a file without a layout): lay everything out once.
      this._runLayout(false);
      definition.setPositions(this._leafPositions(), false);
    } else {
      // Items already drawn stay where they are, whatever the edit (connecting, grouping, adding):
      // only new items are placed, in a row below the drawing; the document keeps their places.
      const box = leaves.filter(n => !!known[n.id()]).boundingBox({});
      let k = 0;
      const placed: Record<string, { x: number; y: number }> = {};
      leaves.forEach(n => {
        let at = known[n.id()];
        if (!at) {
          at = {
            x: (Number.isFinite(box.x1) ? box.x1 : 0) + 120 * k++,
            y: (Number.isFinite(box.y2) ? box.y2 : 0) + 80
          };
          placed[n.id()] = at;
        }
        n.position({ ...at });
      });
      // The document keeps every place: new items' and those of items that moved to a new path.
      const stored = definition.positions();
      const unsaved: Record<string, { x: number; y: number }> = {};
      leaves.forEach(n => {
        if (!stored[n.id()]) {
          unsaved[n.id()] = { ...n.position() };
        }
      });
      if (Object.keys(unsaved).length) {
        definition.setPositions(unsaved, false);
      }
      if (Object.keys(placed).length) {
        // A new item out of view: show the whole drawing (the view moves, the items do not).
        const view = cy.extent();
        const outOfView = Object.values(placed).some(
          p => p.x < view.x1 || p.x > view.x2 || p.y < view.y1 || p.y > view.y2
        );
        if (outOfView && before.size > 0) {
          cy.fit(undefined, 32);
          if (cy.zoom() > 1.25) {
            cy.zoom(1.25);
            cy.center();
          }
        }
      }
      if (before.size === 0) {
        cy.fit(undefined, 32);
        if (cy.zoom() > 1.25) {
          cy.zoom(1.25);
          cy.center();
        }
      }
    }
    this._canvas.node.dataset.itemCount = String(items.length);
    this._canvas.node.dataset.edgeCount = String(definition.edges().length);
    this._renderProperties();
    this._stateChanged.emit();
  }

  private _runLayout(remember: boolean): void {
    const cy = this._cy;
    if (!cy || cy.nodes().empty()) {
      return;
    }
    cy.layout({
      name: 'dagre',
      rankDir: this._options.settings().layoutDirection,
      nodeSep: 30,
      rankSep: 50,
      animate: false,
      fit: true,
      padding: 32
    } as cytoscape.LayoutOptions).run();
    if (cy.zoom() > 1.25) {
      cy.zoom(1.25);
      cy.center();
    }
    this._canvas.node.dataset.layoutRuns = String(++this._layoutRuns);
    if (remember) {
      this._definition?.setPositions(this._leafPositions());
    }
  }

  private _leafPositions(): Record<string, { x: number; y: number }> {
    const out: Record<string, { x: number; y: number }> = {};
    this._cy?.nodes().forEach(n => {
      if (n.isChildless()) {
        out[n.id()] = { ...n.position() };
      }
    });
    return out;
  }

  private _selectionChangedSoon(): void {
    if (this._selectionTimer) {
      return;
    }
    this._selectionTimer = setTimeout(() => {
      this._selectionTimer = null;
      this._renderProperties();
      this._stateChanged.emit();
    }, 0);
  }

  private _showMessage(text: string): void {
    this._message.textContent = text;
    this._message.hidden = !text;
  }

  // ------------------------------------------------------------------ side panes

  private _renderProblems(): void {
    const node = this._problems.node;
    clear(node);
    node.appendChild(
      el(
        'h3',
        'jp-PerQueue-builder-heading',
        this._problemList.length ? `Problems (${this._problemList.length})` : 'Problems'
      )
    );
    if (!this._definition) {
      return;
    }
    if (!this._problemList.length) {
      node.appendChild(el('p', 'jp-PerQueue-builder-ok', 'The definition is valid.'));
      return;
    }
    const list = el('ul', 'jp-PerQueue-problem-list');
    for (const problem of this._problemList) {
      const item = el('li', 'jp-PerQueue-problem');
      const where = `${problem.node ?? 'workflow'}${problem.field ? ` · ${problem.field}` : ''}`;
      item.appendChild(el('span', 'jp-PerQueue-problem-place', where));
      item.appendChild(el('span', 'jp-PerQueue-problem-message', problem.message));
      if (problem.path) {
        const path = problem.path;
        item.tabIndex = 0;
        item.title = 'Select this item';
        item.addEventListener('click', () => this.select([path]));
      }
      list.appendChild(item);
    }
    node.appendChild(list);
  }

  private _renderProperties(): void {
    renderProperties(this._properties.node, {
      definition: this._definition,
      selection: this._selection,
      pickFile: (title, pattern) => this._pickFile(title, pattern),
      edit: fn => this._edit(fn),
      selectAfterRender: paths => {
        this._pendingSelect = paths;
      },
      render: () => this._render(),
      ungroup: () => this.ungroupSelected()
    });
  }

  private readonly _options: IBuilderOptions;
  private readonly _canvas: Widget;
  private readonly _message: HTMLElement;
  private readonly _properties: Widget;
  private readonly _problems: Widget;
  private readonly _stateChanged = new Signal<this, void>(this);
  private readonly _stopThemeWatch: () => void;
  private _definition: DefinitionModel | null = null;
  private _cy: cytoscape.Core | null = null;
  private _selection: string[] = [];
  private _pendingSelect: string[] | null = null;
  private _problemList: IProblem[] = [];
  private _lastText = '';
  private _layoutRuns = 0;
  /** The spec object drawn at each path in the last drawing. */
  private _drawnSpecs = new Map<string, unknown>();
  private _selectionTimer: ReturnType<typeof setTimeout> | null = null;
}

function wanted(cy: cytoscape.Core, id: string): boolean {
  return cy.getElementById(id).nonempty();
}
