// The workflow-definition document the graphical builder edits: the JSON spec of
// docs/contracts.md §1 itself, plus an optional `layout` key holding node positions that the
// bridge never sees. Every edit is made on the spec tree in place, so a file opened and saved
// without edits comes back unchanged (apart from `layout`), and edits follow the rules of the
// Python and TypeScript builders (ids from display names, groups with the same keys in the
// same order), so a definition drawn here equals one written in Python. No DOM, no I/O.
import { Signal } from '@lumino/signaling';

import { DEFAULT_MAX_TRIES, SWITCHGROUP_SKIP } from '../../core/constants.js';
import { SpecError } from '../../core/errors.js';
import { taskName, uniqueIds } from '../../core/nodeIds.js';
import {
  bodyPath,
  branchPath,
  itemPath,
  itemsAlong,
  nodeAtPath,
  ROOT_PATH,
  unescapedPath
} from '../../core/specPath.js';
import { formatResources, parseResources } from '../../core/resources.js';
import {
  nodeName,
  SPEC_VERSION,
  validateSpec,
  type JsonObject,
  type NodeSpec,
  type WorkflowDocument,
  type WorkflowNodeSpec,
  type WorkflowSpec
} from '../../core/spec.js';
import { mapScriptPaths } from '../../core/scriptPaths.js';

export const DEFAULT_RESOURCES = '1:local:10m';

/** Node positions by spec path, kept beside the spec; the bridge ignores them. */
interface IDefinitionLayout {
  positions: Record<string, { x: number; y: number }>;
}

interface IDefinitionFile extends WorkflowDocument {
  layout?: IDefinitionLayout;
}

/** Something drawn in the editor: a task, a manual step or a group (drawn as a box). */
interface IDrawnItem {
  /** Spec path, as validateSpec names places: root/<id>, …/body, …/branch:<key>. */
  path: string;
  /** The enclosing drawn item, or null at the top. */
  parent: string | null;
  kind: NodeSpec['kind'] | 'branch';
  label: string;
  /** A box holding other items. */
  compound: boolean;
}

interface IDrawnEdge {
  id: string;
  source: string;
  target: string;
}

/** One problem found by validation: where, which field, what. */
export interface IProblem {
  /** The drawn item the problem belongs to (null: the whole document). */
  path: string | null;
  /** The spec path validateSpec named. */
  node: string | null;
  field: string | null;
  message: string;
}

export type GroupKind = 'static_width' | 'dynamic_width' | 'cyclical' | 'switch';

export interface IGroupOptions {
  kind: GroupKind;
  name?: string;
  /** StaticWidthGroup. */
  width?: number;
  /** CyclicalGroup (default 16, as PerQueue). */
  maxTries?: number;
  /** SwitchGroup: one key per branch, branches in the order their items come. */
  keys?: string[];
}

interface ITaskOptions {
  /** The script: relative to the document's folder, or absolute. */
  code: string;
  name?: string;
  args?: JsonObject | null;
  resources?: string;
  retries?: number;
  preamble?: string;
}

/** An edit that does not apply; the message says why and what to do instead. */
export class BuilderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BuilderError';
  }
}

const GROUP_NAMES: Record<string, string> = {
  static_width: 'SWG',
  dynamic_width: 'DWG',
  cyclical: 'CG',
  switch: 'SG',
  workflow: 'Workflow'
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A fresh definition: an empty top-level workflow (invalid until a task is added). */
export function blankDefinition(name = 'workflow'): IDefinitionFile {
  return { specVersion: SPEC_VERSION, name, root: { kind: 'workflow', nodes: [] } };
}

export class DefinitionModel {
  constructor(doc: IDefinitionFile = blankDefinition()) {
    this._doc = doc;
    this._adoptUnescapedPositions();
  }

  /** Reads a file's text; an empty file is a blank definition named after `fallbackName`. */
  static fromText(text: string, fallbackName = 'workflow'): DefinitionModel {
    if (!text.trim()) {
      return new DefinitionModel(blankDefinition(fallbackName));
    }
    const parsed = JSON.parse(text) as unknown;
    if (!isObject(parsed)) {
      throw new BuilderError('a workflow definition must be a JSON object');
    }
    if (!isObject(parsed.root)) {
      throw new BuilderError("a workflow definition needs a 'root' object (see docs/contracts.md §1)");
    }
    return new DefinitionModel(parsed as unknown as IDefinitionFile);
  }

  /** Emitted after every edit. */
  get changed(): Signal<this, void> {
    return this._changed;
  }

  /** The file's content: the spec plus `layout`. */
  get document(): IDefinitionFile {
    return this._doc;
  }

  get name(): string {
    return this._doc.name;
  }

  toText(): string {
    return JSON.stringify(this._doc, null, 2) + '\n';
  }

  /**
   * What is submitted: the document without `layout`; `resolvePath` turns each stored script and
   * notebook path (relative to the document's folder) into the absolute one the bridge needs.
   */
  toSpec(resolvePath?: (stored: string) => string): WorkflowDocument {
    // JSON drops a key whose value is undefined.
    const copy = JSON.parse(JSON.stringify({ ...this._doc, layout: undefined })) as WorkflowDocument;
    if (resolvePath && isObject(copy.root)) {
      mapScriptPaths(copy.root, resolvePath);
    }
    return copy;
  }

  // ------------------------------------------------------------------ reading

  /** The spec node at a path, or undefined. */
  nodeAt(path: string): NodeSpec | undefined {
    return nodeAtPath(this._doc.root, path);
  }

  /** Everything drawn, parents before children. */
  items(): IDrawnItem[] {
    const out: IDrawnItem[] = [];
    const walk = (node: NodeSpec, path: string, parent: string | null, label: string | null, transparent: boolean) => {
      let here = parent;
      if (!transparent) {
        const compound = node.kind !== 'task' && node.kind !== 'manual';
        out.push({
          path,
          parent,
          kind: label !== null && node.kind === 'workflow' ? 'branch' : node.kind,
          label: label ?? itemLabel(node),
          compound
        });
        here = path;
      }
      switch (node.kind) {
        case 'workflow':
          for (const child of node.nodes ?? []) {
            walk(child.node, itemPath(path, child.id), here, null, false);
          }
          break;
        case 'switch':
          for (const [key, branch] of Object.entries(node.branches ?? {})) {
            // A branch that is one task shows as that task, named by its key; a longer one as a box.
            const isTask = branch.kind === 'task' || branch.kind === 'manual';
            walk(
              branch,
              branchPath(path, key),
              here,
              isTask ? `${key}: ${itemLabel(branch)}` : branch.kind === 'workflow' ? key : null,
              false
            );
          }
          break;
        case 'static_width':
        case 'dynamic_width':
        case 'cyclical':
          // A group's body that is a list of tasks draws its tasks straight inside the group.
          walk(node.body, bodyPath(path), here, null, node.body?.kind === 'workflow');
          break;
      }
    };
    walk(this._doc.root, ROOT_PATH, null, null, this._doc.root.kind === 'workflow');
    return out;
  }

  edges(): IDrawnEdge[] {
    const out: IDrawnEdge[] = [];
    for (const { path, spec } of this._workflows()) {
      for (const child of spec.nodes) {
        for (const parent of child.parents ?? []) {
          const source = itemPath(path, parent);
          const target = itemPath(path, child.id);
          out.push({ id: `${source}->${target}`, source, target });
        }
      }
    }
    return out;
  }

  /** Every problem found: each task checked on its own, then the whole document (paths resolved with `resolvePath`). */
  validate(resolvePath?: (stored: string) => string): IProblem[] {
    const problems: IProblem[] = [];
    const drawn = new Set(this.items().map(i => i.path));
    const owner = (node: string | undefined): string | null => {
      let p = node ?? '';
      while (p && !drawn.has(p)) {
        p = p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '';
      }
      return p || null;
    };
    const add = (error: unknown, prefix: string | null) => {
      if (error instanceof SpecError) {
        const node =
          prefix && error.place.node ? error.place.node.replace(/^root/, prefix) : (error.place.node ?? null);
        if (problems.some(p => p.node === node && p.field === (error.place.field ?? null))) {
          return;
        }
        problems.push({
          path: owner(node ?? undefined),
          node,
          field: error.place.field ?? null,
          message: error.problem
        });
      } else {
        problems.push({ path: null, node: null, field: null, message: String((error as Error)?.message ?? error) });
      }
    };
    for (const item of this.items()) {
      const node = this.nodeAt(item.path);
      if (node && (node.kind === 'task' || node.kind === 'manual')) {
        try {
          const resolved = JSON.parse(JSON.stringify(node)) as NodeSpec;
          if (resolvePath) {
            mapScriptPaths(resolved, resolvePath);
          }
          validateSpec({ specVersion: SPEC_VERSION, name: 'task', root: resolved });
        } catch (error) {
          add(error, item.path);
        }
      }
    }
    try {
      validateSpec(this.toSpec(resolvePath));
    } catch (error) {
      add(error, null);
    }
    return problems;
  }

  // ------------------------------------------------------------------ editing

  setName(name: string): void {
    this._doc.name = name;
    this._emit();
  }

  /** Adds a task to a workflow (the top one by default); returns its path. */
  addTask(options: ITaskOptions, workflowPath = ROOT_PATH): string {
    if (!options.code.trim()) {
      throw new BuilderError('a task needs a script');
    }
    const task: Record<string, unknown> = {
      kind: 'task',
      name: taskName(options.name, options.code),
      code: options.code,
      args: options.args ?? {},
      resources: normalizeResources(options.resources ?? DEFAULT_RESOURCES)
    };
    if (options.retries) {
      task.retries = options.retries;
    }
    if (options.preamble !== undefined) {
      task.preamble = options.preamble;
    }
    return this._addNode(task as unknown as NodeSpec, workflowPath);
  }

  /** Adds a manual step (a person's work in a notebook or a form); returns its path. */
  addManual(name: string, notebook?: string, workflowPath = ROOT_PATH): string {
    const spec: Record<string, unknown> = { kind: 'manual', name, args: {} };
    if (notebook) {
      spec.notebook = notebook;
    }
    spec.onReject = 'discard';
    return this._addNode(spec as unknown as NodeSpec, workflowPath);
  }

  /**
   * Makes `child` depend on `parent`. Items in different groups are connected through the
   * outermost groups that hold them inside one workflow.
   */
  connect(parentPath: string, childPath: string): void {
    const [path, ids] = this._siblings([parentPath, childPath]);
    const [p, c] = ids;
    if (p === c) {
      throw new BuilderError('these two items are inside one another: connect items of the same workflow');
    }
    const wf = this._workflowAt(path);
    const child = wf.nodes.find(n => n.id === c)!;
    if (child.parents.includes(p)) {
      return;
    }
    if (this._dependsOn(wf, p, c)) {
      throw new BuilderError(
        `'${p}' already runs after '${c}': a dependency cycle is not allowed (use a CyclicalGroup to repeat steps)`
      );
    }
    child.parents.push(p);
    this._emit();
  }

  disconnect(parentPath: string, childPath: string): void {
    const cut = (path: string) => [path.slice(0, path.lastIndexOf('/')), path.slice(path.lastIndexOf('/') + 1)];
    const [wp, p] = cut(parentPath);
    const [wc, c] = cut(childPath);
    if (wp !== wc) {
      throw new BuilderError('no such dependency');
    }
    const child = this._workflowAt(wp).nodes.find(n => n.id === c);
    if (!child || !child.parents.includes(p)) {
      throw new BuilderError('no such dependency');
    }
    child.parents = child.parents.filter(x => x !== p);
    dropPorts(child, [p]);
    this._emit();
  }

  /**
   * Sets PerQueue's ports on a dependency: `{parent key: argument name}` renames what the parent
   * returns into the child's arguments, and only those keys pass; null or {} passes everything.
   */
  setPorts(parentPath: string, childPath: string, ports: Record<string, string> | null): void {
    const cut = (path: string) => [path.slice(0, path.lastIndexOf('/')), path.slice(path.lastIndexOf('/') + 1)];
    const [wp, p] = cut(parentPath);
    const [wc, c] = cut(childPath);
    const child = wp === wc ? this._workflowAt(wp).nodes.find(n => n.id === c) : undefined;
    if (!child || !child.parents.includes(p)) {
      throw new BuilderError('no such dependency');
    }
    for (const [source, target] of Object.entries(ports ?? {})) {
      if (!source || typeof target !== 'string' || !target) {
        throw new BuilderError(
          `a port maps a key the parent returns to an argument name, got '${source}' -> ${JSON.stringify(target)}`
        );
      }
    }
    dropPorts(child, [p]);
    if (ports && Object.keys(ports).length > 0) child.ports = { ...(child.ports ?? {}), [p]: { ...ports } };
    this._emit();
  }

  /** Puts items of one workflow into a new group; returns the group's path. */
  wrap(paths: string[], options: IGroupOptions): string {
    if (paths.length === 0) {
      throw new BuilderError('select the items to put in the group first');
    }
    const [path, selected] = this._siblings(paths);
    const wf = this._workflowAt(path);
    const chosen = new Set(selected);
    if (chosen.size !== selected.length) {
      throw new BuilderError('the selection holds items inside one another: select items of one workflow');
    }
    const members = wf.nodes.filter(n => chosen.has(n.id));
    // Ports belong to one edge; an edge that would end at the group's border cannot keep them.
    for (const n of wf.nodes) {
      for (const p of Object.keys(n.ports ?? {})) {
        if (chosen.has(n.id) !== chosen.has(p)) {
          throw new BuilderError(
            `the dependency of '${n.id}' on '${p}' has ports and would cross the group's border: remove the ports or select both`
          );
        }
      }
    }
    const inside = (item: WorkflowNodeSpec, within: Set<string>): WorkflowNodeSpec => {
      const kept: WorkflowNodeSpec = { id: item.id, node: item.node, parents: item.parents.filter(p => within.has(p)) };
      const ports = Object.entries(item.ports ?? {}).filter(([p]) => within.has(p));
      if (ports.length > 0) kept.ports = Object.fromEntries(ports);
      return kept;
    };
    const bodyOf = (items: WorkflowNodeSpec[]): NodeSpec => {
      if (items.length === 1) {
        return items[0].node;
      }
      const ids = new Set(items.map(i => i.id));
      const body: WorkflowSpec = { kind: 'workflow', nodes: items.map(i => inside(i, ids)) };
      renumber(body);
      return body;
    };
    const named = options.name ? { name: options.name } : {};
    let group: Record<string, unknown>;
    switch (options.kind) {
      case 'static_width': {
        const width = options.width ?? 1;
        if (!Number.isInteger(width) || width < 1) {
          throw new BuilderError(`a StaticWidthGroup needs a whole width of at least 1, got ${width}`);
        }
        group = { kind: 'static_width', ...named, body: bodyOf(members), width };
        break;
      }
      case 'dynamic_width':
        group = { kind: 'dynamic_width', ...named, body: bodyOf(members) };
        break;
      case 'cyclical': {
        const maxTries = options.maxTries ?? DEFAULT_MAX_TRIES;
        if (!Number.isInteger(maxTries) || maxTries < 1) {
          throw new BuilderError(`max_tries must be a whole number of at least 1, got ${maxTries}`);
        }
        group = { kind: 'cyclical', ...named, body: bodyOf(members), maxTries };
        break;
      }
      case 'switch': {
        const branches = components(members);
        const keys =
          options.keys ?? branches.map((_, i) => String.fromCharCode(97 + (i % 26)) + (i >= 26 ? String(i) : ''));
        if (keys.length !== branches.length) {
          throw new BuilderError(
            `the selection makes ${branches.length} branch${branches.length === 1 ? '' : 'es'} (connected items form one branch); give ${branches.length} key${branches.length === 1 ? '' : 's'}, got ${keys.length}`
          );
        }
        const seen = new Set<string>();
        for (const key of keys) {
          if (!key) {
            throw new BuilderError('a branch key cannot be empty');
          }
          if (key === SWITCHGROUP_SKIP) {
            throw new BuilderError(`'${SWITCHGROUP_SKIP}' is reserved for skipping the group`);
          }
          if (seen.has(key)) {
            throw new BuilderError(`the key '${key}' is given twice`);
          }
          seen.add(key);
        }
        group = {
          kind: 'switch',
          ...named,
          branches: Object.fromEntries(branches.map((b, i) => [keys[i], bodyOf(b)]))
        };
        break;
      }
      default:
        throw new BuilderError(`unknown group kind '${String(options.kind)}'`);
    }

    // The group takes the place of the first member; outside edges now go to the group.
    const placeholder = `\u0000group`;
    const parents: string[] = [];
    for (const m of members) {
      for (const p of m.parents) {
        if (!chosen.has(p) && !parents.includes(p)) {
          parents.push(p);
        }
      }
    }
    const at = wf.nodes.findIndex(n => chosen.has(n.id));
    const rest = wf.nodes.filter(n => !chosen.has(n.id));
    for (const n of rest) {
      if (n.parents.some(p => chosen.has(p))) {
        const next: string[] = [];
        for (const p of n.parents) {
          const q = chosen.has(p) ? placeholder : p;
          if (!next.includes(q)) {
            next.push(q);
          }
        }
        n.parents = next;
      }
    }
    rest.splice(at, 0, { id: placeholder, node: group as unknown as NodeSpec, parents });
    wf.nodes = rest;
    const ids = renumber(wf);
    // The members' places under their old paths go; the editor keeps them under the new ones.
    this._prunePositions();
    this._emit();
    return itemPath(path, ids.get(placeholder)!);
  }

  /** How many branches a SwitchGroup made of these items would have (connected items form one). */
  branchCount(paths: string[]): number {
    try {
      const [path, ids] = this._siblings(paths);
      const chosen = new Set(ids);
      return components(this._workflowAt(path).nodes.filter(n => chosen.has(n.id))).length;
    } catch {
      return paths.length;
    }
  }

  /** Takes a group's content back into the enclosing workflow (the inverse of wrap). */
  unwrap(groupPath: string): void {
    const cut = groupPath.lastIndexOf('/');
    const path = groupPath.slice(0, cut);
    const id = groupPath.slice(cut + 1);
    const parentWf = this._workflowAt(path);
    const at = parentWf.nodes.findIndex(n => n.id === id);
    const item = parentWf.nodes[at];
    if (!item || item.node.kind === 'task' || item.node.kind === 'manual') {
      throw new BuilderError('select a group to ungroup');
    }
    const g = item.node;
    const parts: WorkflowNodeSpec[][] =
      g.kind === 'switch'
        ? Object.values(g.branches).map(b => flatten(b))
        : [g.kind === 'workflow' ? g.nodes : flatten(g.body)];
    // Inner roots take the group's parents; the group's children depend on the inner leaves.
    const inner = parts.flatMap((contents, k) => {
      const renamed = new Map(contents.map(c => [c.id, `\u0000u${k}/${c.id}`]));
      return contents.map(c => {
        const out: WorkflowNodeSpec = {
          id: renamed.get(c.id)!,
          node: c.node,
          parents: c.parents.map(p => renamed.get(p)!)
        };
        if (c.ports)
          out.ports = Object.fromEntries(Object.entries(c.ports).map(([p, m]) => [renamed.get(p)!, { ...m }]));
        return out;
      });
    });
    const hasChild = new Set(inner.flatMap(c => c.parents));
    for (const c of inner) {
      if (c.parents.length === 0) {
        c.parents = [...item.parents];
        // The group's ports applied to every entry it started with: each inner root keeps them.
        if (item.ports) c.ports = Object.fromEntries(Object.entries(item.ports).map(([p, m]) => [p, { ...m }]));
      }
    }
    const leaves = inner.filter(c => !hasChild.has(c.id)).map(c => c.id);
    for (const n of parentWf.nodes) {
      if (n.parents.includes(id)) {
        const next: string[] = [];
        for (const p of n.parents) {
          for (const q of p === id ? leaves : [p]) {
            if (!next.includes(q)) {
              next.push(q);
            }
          }
        }
        n.parents = next;
        // Ports out of the group renamed what each of its last entries returned: so they still do.
        const fromGroup = n.ports?.[id];
        if (n.ports && fromGroup) {
          delete n.ports[id];
          for (const leaf of leaves) n.ports[leaf] = { ...fromGroup };
        }
      }
    }
    parentWf.nodes.splice(at, 1, ...inner);
    renumber(parentWf);
    this._emit();
  }

  /** Removes items (and the dependencies on them). */
  remove(paths: string[]): void {
    const byWorkflow = new Map<string, Set<string>>();
    for (const p of paths) {
      const [path, ids] = this._siblings([p]);
      if (!byWorkflow.has(path)) {
        byWorkflow.set(path, new Set());
      }
      byWorkflow.get(path)!.add(ids[0]);
    }
    for (const [path, ids] of byWorkflow) {
      const wf = this._workflowAt(path);
      wf.nodes = wf.nodes.filter(n => !ids.has(n.id));
      for (const n of wf.nodes) {
        n.parents = n.parents.filter(p => !ids.has(p));
        dropPorts(n, [...ids]);
      }
      renumber(wf);
    }
    this._prunePositions();
    this._emit();
  }

  /**
   * Sets a field of a task, manual step or group. `name` renames (and re-derives the ids of the
   * enclosing workflow, as the builders do); `resources` is written in its canonical form.
   */
  setField(path: string, field: string, value: unknown): void {
    const node = this.nodeAt(path) as unknown as Record<string, unknown> | undefined;
    if (!node) {
      throw new BuilderError(`no item at '${path}'`);
    }
    if (value === undefined || value === '' || value === null) {
      if (field === 'name' && (node.kind === 'task' || node.kind === 'manual')) {
        throw new BuilderError('a task needs a name');
      }
      if (
        field === 'retries' ||
        field === 'preamble' ||
        field === 'name' ||
        field === 'notebook' ||
        field === 'timeout' ||
        field === 'func'
      ) {
        delete node[field];
      } else {
        node[field] = value;
      }
    } else if (field === 'resources' && typeof value === 'string') {
      node.resources = normalizeResources(value);
    } else if (field === 'retries' && value === 0) {
      delete node.retries;
    } else if (field in node || !['kind', 'body', 'branches', 'nodes'].includes(field)) {
      if (field === 'name' && !('name' in node) && node.kind !== 'task' && node.kind !== 'manual') {
        // A group's optional name goes right after its kind, as the builders write it.
        const entries = Object.entries(node);
        for (const k of Object.keys(node)) {
          delete node[k];
        }
        node.kind = entries[0][1];
        node.name = value;
        for (const [k, v] of entries.slice(1)) {
          node[k] = v;
        }
      } else {
        node[field] = value;
      }
    }
    if (field === 'name') {
      const cut = path.lastIndexOf('/');
      const wfPath = path.slice(0, cut);
      const wf = this.nodeAt(wfPath);
      if (wf?.kind === 'workflow') {
        renumber(wf);
      }
      this._prunePositions();
    }
    this._emit();
  }

  /** Renames a switch branch, keeping the order of the branches. */
  renameBranch(switchPath: string, from: string, to: string): void {
    const node = this.nodeAt(switchPath);
    if (node?.kind !== 'switch') {
      throw new BuilderError(`no SwitchGroup at '${switchPath}'`);
    }
    if (from === to) {
      return;
    }
    if (!to || to === SWITCHGROUP_SKIP || to in node.branches) {
      throw new BuilderError(to ? `the key '${to}' is reserved or taken` : 'a branch key cannot be empty');
    }
    node.branches = Object.fromEntries(Object.entries(node.branches).map(([k, v]) => [k === from ? to : k, v]));
    this._prunePositions();
    this._emit();
  }

  /** Remembers where an item was drawn (kept under `layout`, ignored by the bridge). */
  setPositions(positions: Record<string, { x: number; y: number }>, notify = true): void {
    const layout = (this._doc.layout ??= { positions: {} });
    layout.positions ??= {};
    for (const [path, p] of Object.entries(positions)) {
      layout.positions[path] = { x: Math.round(p.x), y: Math.round(p.y) };
    }
    if (notify) {
      this._emit();
    }
  }

  positions(): Record<string, { x: number; y: number }> {
    return this._doc.layout?.positions ?? {};
  }

  // ------------------------------------------------------------------ internals

  private _emit(): void {
    this._changed.emit(undefined);
  }

  private _addNode(spec: NodeSpec, workflowPath: string): string {
    const wf = this._workflowAt(workflowPath);
    const marker = '\u0000new';
    wf.nodes.push({ id: marker, node: spec, parents: [] });
    const ids = renumber(wf);
    this._emit();
    return itemPath(workflowPath, ids.get(marker)!);
  }

  private _workflowAt(path: string): WorkflowSpec {
    if (path === ROOT_PATH && this._doc.root.kind !== 'workflow') {
      // A document whose root is one task or group becomes a workflow holding it.
      const root = this._doc.root;
      this._doc.root = { kind: 'workflow', nodes: [{ id: nodeName(root), node: root, parents: [] }] };
    }
    const node = this.nodeAt(path);
    if (node?.kind !== 'workflow') {
      throw new BuilderError(`'${path}' is not a workflow`);
    }
    return node;
  }

  /** Every workflow spec with its path. */
  private _workflows(): { path: string; spec: WorkflowSpec }[] {
    const out: { path: string; spec: WorkflowSpec }[] = [];
    const walk = (node: NodeSpec | undefined, path: string) => {
      if (!node) {
        return;
      }
      switch (node.kind) {
        case 'workflow':
          out.push({ path, spec: node });
          for (const child of node.nodes ?? []) {
            walk(child.node, itemPath(path, child.id));
          }
          break;
        case 'switch':
          for (const [k, b] of Object.entries(node.branches ?? {})) {
            walk(b, branchPath(path, k));
          }
          break;
        case 'static_width':
        case 'dynamic_width':
        case 'cyclical':
          walk(node.body, bodyPath(path));
          break;
      }
    };
    walk(this._doc.root, ROOT_PATH);
    return out;
  }

  /**
   * The innermost workflow holding all the given items, and for each item the id of its
   * ancestor (or itself) directly inside that workflow.
   */
  private _siblings(paths: string[]): [string, string[]] {
    if (this._doc.root.kind !== 'workflow') {
      // The old root becomes the one item of a new root workflow: its paths move below that item.
      const moved = itemPath(ROOT_PATH, this._workflowAt(ROOT_PATH).nodes[0].id);
      paths = paths.map(p => moved + p.slice(ROOT_PATH.length));
    }
    const workflows = new Set(this._workflows().map(w => w.path));
    const chains = paths.map(p => itemsAlong(p, path => workflows.has(path)));
    if (chains.some(c => c.length === 0)) {
      throw new BuilderError('select tasks or groups, not the whole workflow');
    }
    let depth = 0;
    while (chains.every(c => c.length > depth && c[depth].workflow === chains[0][depth].workflow)) {
      depth++;
    }
    if (depth === 0) {
      throw new BuilderError('these items are not in one workflow');
    }
    // Two items of different branches of one switch share no workflow below the switch.
    const level = depth - 1;
    return [chains[0][level].workflow, chains.map(c => c[level].id)];
  }

  private _dependsOn(wf: WorkflowSpec, id: string, on: string): boolean {
    const parents = new Map(wf.nodes.map(n => [n.id, n.parents]));
    const seen = new Set<string>();
    const stack = [id];
    while (stack.length) {
      const x = stack.pop()!;
      if (x === on) {
        return true;
      }
      if (!seen.has(x)) {
        seen.add(x);
        stack.push(...(parents.get(x) ?? []));
      }
    }
    return false;
  }

  /** Positions saved under a path written before '/' and '%' in ids were escaped move to its path now. */
  private _adoptUnescapedPositions(): void {
    const positions = this._doc.layout?.positions;
    if (!positions || !isObject(this._doc.root)) {
      return;
    }
    let drawn: IDrawnItem[];
    try {
      drawn = this.items();
    } catch {
      return; // a tree that cannot be drawn is shown with its problems; its positions wait
    }
    for (const { path } of drawn) {
      const before = unescapedPath(path);
      if (before !== path && !(path in positions) && before in positions) {
        positions[path] = positions[before];
        delete positions[before];
      }
    }
  }

  private _prunePositions(): void {
    const positions = this._doc.layout?.positions;
    if (!positions) {
      return;
    }
    const drawn = new Set(this.items().map(i => i.path));
    for (const key of Object.keys(positions)) {
      if (!drawn.has(key)) {
        delete positions[key];
      }
    }
  }

  private _doc: IDefinitionFile;
  private readonly _changed = new Signal<this, void>(this);
}

/** The label of a drawn item: a task's name; a group's name with its parameter. */
function itemLabel(node: NodeSpec): string {
  switch (node.kind) {
    case 'task':
    case 'manual':
      return node.name;
    case 'static_width':
      return `${node.name ?? GROUP_NAMES.static_width} ×${node.width}`;
    case 'cyclical':
      return `${node.name ?? GROUP_NAMES.cyclical} ≤${node.maxTries}`;
    default:
      return node.name ?? GROUP_NAMES[node.kind] ?? node.kind;
  }
}

function normalizeResources(text: string): string {
  try {
    return formatResources(parseResources(text));
  } catch {
    return text; // kept as typed; validation names the problem
  }
}

/** Ids from display names by the builders' rule (core/nodeIds.ts); returns old → new. */
function renumber(wf: WorkflowSpec): Map<string, string> {
  const ids = uniqueIds(wf.nodes.map(n => nodeName(n.node)));
  const map = new Map(wf.nodes.map((n, i) => [n.id, ids[i]]));
  for (const n of wf.nodes) {
    n.id = map.get(n.id)!;
    n.parents = n.parents.map(p => map.get(p) ?? p);
    if (n.ports) n.ports = Object.fromEntries(Object.entries(n.ports).map(([p, m]) => [map.get(p) ?? p, m]));
  }
  return map;
}

/** Items of a selection grouped by the dependencies among them, in the order they come. */
function components(items: WorkflowNodeSpec[]): WorkflowNodeSpec[][] {
  const ids = new Set(items.map(i => i.id));
  const root = new Map(items.map(i => [i.id, i.id]));
  const find = (x: string): string => (root.get(x) === x ? x : find(root.get(x)!));
  for (const i of items) {
    for (const p of i.parents) {
      if (ids.has(p)) {
        root.set(find(i.id), find(p));
      }
    }
  }
  const groups = new Map<string, WorkflowNodeSpec[]>();
  for (const i of items) {
    const r = find(i.id);
    if (!groups.has(r)) {
      groups.set(r, []);
    }
    groups.get(r)!.push(i);
  }
  return [...groups.values()];
}

/** A group's content as workflow items (a workflow's nodes, or the one node). */
/** Forgets the ports of dependencies that are gone (a port belongs to its edge). */
function dropPorts(item: WorkflowNodeSpec, parents: string[]): void {
  if (!item.ports) return;
  for (const p of parents) delete item.ports[p];
  if (Object.keys(item.ports).length === 0) delete item.ports;
}

function flatten(node: NodeSpec): WorkflowNodeSpec[] {
  if (node.kind === 'workflow') {
    return node.nodes;
  }
  return [{ id: nodeName(node), node, parents: [] }];
}
