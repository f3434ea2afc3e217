// The JSON workflow spec: what the Python API, the TypeScript API and the graphical builder
// all produce, and what the bridge stores. Validation here is complete: a spec that passes
// `validateSpec` compiles and runs; one that fails is rejected before anything is stored.
// No I/O: the check that a script exists is injected by the caller.
import { SWITCHGROUP_SKIP } from './constants.js';
import { SpecError } from './errors.js';
import { MAX_GROUP_WIDTH, MAX_WORKFLOW_ENTRIES } from './limits.js';
import { checkFormSchema, describeProblem, validateAgainstForm } from './formSchema.js';
import { parseResources } from './resources.js';
import { bodyPath, branchPath, itemPath, ROOT_PATH } from './specPath.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const SPEC_VERSION = 1;

export interface TaskSpec {
  kind: 'task';
  name: string;
  /** Absolute path of the script or executable. */
  code: string;
  args: JsonObject;
  /** MyQueue resource string, e.g. "1:local:10m". */
  resources: string;
  /** Automatic re-runs after a failure (0 = none). */
  retries?: number;
  /** Shell lines run before the task (module load, exports). */
  preamble?: string;
  /** The function of a Python script to call (PerQueue's `func`); `main` when absent. */
  func?: string;
  /** Leave the processes the task starts and leaves running at its normal end (default: they are ended). */
  keepProcesses?: boolean;
}

/** A step done by a person in JupyterLab: a notebook or a form. */
export interface ManualTaskSpec {
  kind: 'manual';
  name: string;
  args: JsonObject;
  /** Absolute path of the notebook the person works in. */
  notebook?: string;
  /** JSON Schema of the form the person fills in: the subset in formSchema.ts, enforced on approve. */
  form?: JsonObject;
  /** Seconds after which `default` is applied. */
  timeout?: number;
  /** The result on timeout; must match `form` when there is one. */
  default?: JsonObject;
  /** What Reject means: drop this branch (like a filter) or fail the entry. */
  onReject: 'discard' | 'fail';
}

export interface WorkflowNodeSpec {
  /** Unique inside its workflow. */
  id: string;
  node: NodeSpec;
  /** Ids of the nodes this one depends on. */
  parents: string[];
  /**
   * PerQueue's ports, by parent id: `{ parentKey: argName }`. From a parent with ports only the
   * named keys reach this node, renamed; a parent without them passes all its data.
   */
  ports?: { [parentId: string]: Ports };
}

/** Output key of the parent -> argument name of the child (PerQueue's `{source: target}`). */
export type Ports = { [parentKey: string]: string };

export interface WorkflowSpec {
  kind: 'workflow';
  name?: string;
  nodes: WorkflowNodeSpec[];
}

export interface StaticWidthGroupSpec {
  kind: 'static_width';
  name?: string;
  body: NodeSpec;
  width: number;
}

export interface DynamicWidthGroupSpec {
  kind: 'dynamic_width';
  name?: string;
  body: NodeSpec;
}

export interface CyclicalGroupSpec {
  kind: 'cyclical';
  name?: string;
  body: NodeSpec;
  maxTries: number;
}

export interface SwitchGroupSpec {
  kind: 'switch';
  name?: string;
  branches: { [key: string]: NodeSpec };
}

export type NodeSpec =
  | TaskSpec
  | ManualTaskSpec
  | WorkflowSpec
  | StaticWidthGroupSpec
  | DynamicWidthGroupSpec
  | CyclicalGroupSpec
  | SwitchGroupSpec;

export type GroupKind = 'static_width' | 'dynamic_width' | 'cyclical' | 'switch';

export interface WorkflowDocument {
  specVersion: number;
  name: string;
  root: NodeSpec;
}

export interface ValidateOptions {
  /** Returns false when a script or notebook path does not exist (injected: core does no I/O). */
  pathExists?: (path: string) => boolean;
  /**
   * Why `func` cannot be called in the script at `code`, or null when it can (or cannot be told
   * without running the script). Injected: core does no I/O.
   */
  functionProblem?: (code: string, func: string) => string | null;
}

const DEFAULT_NAMES: Record<string, string> = {
  workflow: 'Workflow',
  static_width: 'SWG',
  dynamic_width: 'DWG',
  cyclical: 'CG',
  switch: 'SG'
};

/** The display name of a spec node (PerQueue names groups by their capitals: DWG, CG...). */
export function nodeName(n: NodeSpec): string {
  return n.name || DEFAULT_NAMES[n.kind] || n.kind;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isJson(v: unknown, depth = 0): boolean {
  if (depth > 200) return false;
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v)) return v.every(x => isJson(x, depth + 1));
  if (isPlainObject(v)) return Object.values(v).every(x => isJson(x, depth + 1));
  return false;
}

/**
 * Check a whole document. Throws SpecError naming workflow, node path and field.
 * Returns the document typed, unchanged.
 */
export function validateSpec(doc: unknown, opts: ValidateOptions = {}): WorkflowDocument {
  if (!isPlainObject(doc)) throw new SpecError({}, 'a workflow spec must be a JSON object');
  for (const k of Object.keys(doc)) {
    if (!['specVersion', 'name', 'root', 'layout'].includes(k)) {
      throw new SpecError(
        { field: k },
        'unknown top-level field (expected specVersion, name, root and optionally layout)'
      );
    }
  }
  const wf = typeof doc.name === 'string' && doc.name.trim() ? doc.name : undefined;
  if (wf === undefined) throw new SpecError({ field: 'name' }, 'the workflow needs a non-empty name');
  if (doc.specVersion !== SPEC_VERSION) {
    throw new SpecError(
      { workflow: wf, field: 'specVersion' },
      `unsupported spec version ${JSON.stringify(doc.specVersion)}; this version reads ${SPEC_VERSION}`
    );
  }
  validateNode(doc.root, { workflow: wf, path: ROOT_PATH, hasUpstream: false, opts });
  if (countTasks(doc.root as NodeSpec) === 0) {
    throw new SpecError({ workflow: wf, node: ROOT_PATH }, 'the workflow holds no task');
  }
  const entries = countEntries(doc.root as NodeSpec);
  if (entries > MAX_WORKFLOW_ENTRIES) {
    throw new SpecError(
      { workflow: wf, node: ROOT_PATH },
      `the workflow makes ${entries.toLocaleString('en-US')} entries at submission, over the limit of ` +
        `${MAX_WORKFLOW_ENTRIES.toLocaleString('en-US')} entries per workflow`
    );
  }
  return doc as unknown as WorkflowDocument;
}

interface Ctx {
  workflow: string;
  path: string;
  /** Whether some entry will have run before this node: groups that read parents' data need it. */
  hasUpstream: boolean;
  opts: ValidateOptions;
}

function fail(ctx: Ctx, field: string | undefined, problem: string): never {
  throw new SpecError({ workflow: ctx.workflow, node: ctx.path, field }, problem);
}

/** Fields each kind may carry (a misspelt field is refused, not silently ignored). */
const FIELDS: Record<string, readonly string[]> = {
  task: ['kind', 'name', 'code', 'args', 'resources', 'retries', 'preamble', 'func', 'keepProcesses'],
  manual: ['kind', 'name', 'args', 'notebook', 'form', 'timeout', 'default', 'onReject'],
  workflow: ['kind', 'name', 'nodes'],
  static_width: ['kind', 'name', 'body', 'width'],
  dynamic_width: ['kind', 'name', 'body'],
  cyclical: ['kind', 'name', 'body', 'maxTries'],
  switch: ['kind', 'name', 'branches']
};

function validateNode(n: unknown, ctx: Ctx): void {
  if (!isPlainObject(n)) fail(ctx, undefined, 'expected a task or group object');
  const allowed = FIELDS[n.kind as string];
  if (allowed) {
    for (const k of Object.keys(n)) {
      if (!allowed.includes(k)) fail(ctx, k, `unknown field for a ${n.kind} (expected ${allowed.join(', ')})`);
    }
  }
  if (n.name !== undefined && (typeof n.name !== 'string' || n.name === '')) {
    fail(ctx, 'name', 'the name must be a non-empty string');
  }
  switch (n.kind) {
    case 'task':
      return validateTask(n, ctx);
    case 'manual':
      return validateManual(n, ctx);
    case 'workflow':
      return validateWorkflow(n, ctx);
    case 'static_width':
      if (!Number.isInteger(n.width) || (n.width as number) < 1) {
        fail(ctx, 'width', `a StaticWidthGroup needs a whole width of at least 1, got ${JSON.stringify(n.width)}`);
      }
      if ((n.width as number) > MAX_GROUP_WIDTH) {
        fail(
          ctx,
          'width',
          `${groupLabel(n)} has a width of ${n.width}, over the limit of ${MAX_GROUP_WIDTH.toLocaleString('en-US')} columns per group`
        );
      }
      return validateNode(n.body, { ...ctx, path: bodyPath(ctx.path) });
    case 'dynamic_width':
      if (!ctx.hasUpstream) {
        fail(ctx, undefined, "a DynamicWidthGroup needs parents: its width comes from their 'pq_dwg_width'");
      }
      return validateNode(n.body, { ...ctx, path: bodyPath(ctx.path) });
    case 'cyclical':
      if (!Number.isInteger(n.maxTries) || (n.maxTries as number) < 1) {
        fail(ctx, 'maxTries', `max_tries must be a whole number of at least 1, got ${JSON.stringify(n.maxTries)}`);
      }
      return validateNode(n.body, { ...ctx, path: bodyPath(ctx.path) });
    case 'switch':
      return validateSwitch(n, ctx);
    default:
      fail(
        ctx,
        'kind',
        `unknown kind ${JSON.stringify(n.kind)}; expected task, manual, workflow, static_width, dynamic_width, cyclical or switch`
      );
  }
}

function validateArgs(n: Record<string, unknown>, ctx: Ctx): void {
  if (!isPlainObject(n.args)) fail(ctx, 'args', 'args must be a JSON object');
  for (const [k, v] of Object.entries(n.args)) {
    if (!isJson(v))
      fail(ctx, `args.${k}`, 'the value is not JSON (numbers must be finite; no functions or objects of classes)');
  }
}

function validateTask(n: Record<string, unknown>, ctx: Ctx): void {
  if (typeof n.name !== 'string') fail(ctx, 'name', 'a task needs a name');
  if (typeof n.code !== 'string' || n.code === '') fail(ctx, 'code', 'a task needs the path of its script');
  if (!n.code.startsWith('/')) fail(ctx, 'code', `the script path must be absolute, got '${n.code}'`);
  if (ctx.opts.pathExists && !ctx.opts.pathExists(n.code)) fail(ctx, 'code', `the script '${n.code}' does not exist`);
  validateArgs(n, ctx);
  if (typeof n.resources !== 'string') fail(ctx, 'resources', 'resources must be a string such as "1:local:10m"');
  try {
    parseResources(n.resources);
  } catch (e) {
    fail(ctx, 'resources', (e as Error).message);
  }
  if (n.retries !== undefined && (!Number.isInteger(n.retries) || (n.retries as number) < 0)) {
    fail(ctx, 'retries', 'retries must be a whole number of at least 0');
  }
  if (n.preamble !== undefined && typeof n.preamble !== 'string')
    fail(ctx, 'preamble', 'the preamble must be shell text');
  if (n.func !== undefined) {
    if (typeof n.func !== 'string' || !/^[A-Za-z_]\w*$/.test(n.func)) {
      fail(ctx, 'func', `func must be the name of a Python function, got ${JSON.stringify(n.func)}`);
    }
    if (!n.code.endsWith('.py')) fail(ctx, 'func', `func '${n.func}' needs a Python script (.py), got '${n.code}'`);
    // Injected: the core cannot read the script (see ValidateOptions.functionProblem).
    const problem = ctx.opts.functionProblem?.(n.code, n.func);
    if (problem) fail(ctx, 'func', problem);
  }
  if (n.keepProcesses !== undefined && typeof n.keepProcesses !== 'boolean')
    fail(ctx, 'keepProcesses', 'keepProcesses must be true or false');
}

function validateManual(n: Record<string, unknown>, ctx: Ctx): void {
  if (typeof n.name !== 'string') fail(ctx, 'name', 'a manual task needs a name');
  validateArgs(n, ctx);
  if (n.notebook !== undefined) {
    if (typeof n.notebook !== 'string' || !n.notebook.startsWith('/')) {
      fail(ctx, 'notebook', 'the notebook must be an absolute path');
    }
    if (ctx.opts.pathExists && !ctx.opts.pathExists(n.notebook)) {
      fail(ctx, 'notebook', `the notebook '${n.notebook}' does not exist`);
    }
  }
  if (n.form !== undefined) {
    if (!isPlainObject(n.form)) fail(ctx, 'form', 'the form must be a JSON Schema object');
    // Only keywords we enforce: one we ignored would let through data its author meant to refuse.
    const [first, ...more] = checkFormSchema(n.form, 'form');
    if (first)
      fail(
        ctx,
        first.path,
        more.length > 0
          ? `${first.problem} (and ${more.length} more problem${more.length === 1 ? '' : 's'} in the form)`
          : first.problem
      );
  }
  if (n.timeout !== undefined && (typeof n.timeout !== 'number' || !Number.isFinite(n.timeout) || n.timeout <= 0)) {
    fail(ctx, 'timeout', 'the timeout must be a positive number of seconds');
  }
  if (n.default !== undefined && (!isPlainObject(n.default) || !isJson(n.default))) {
    fail(ctx, 'default', 'the default must be a JSON object');
  }
  if (n.default !== undefined && n.form !== undefined) {
    // The default stands in for a person's answer on timeout, so it must be an answer the form accepts.
    const problems = validateAgainstForm(n.form, n.default, 'default');
    if (problems.length > 0)
      fail(ctx, 'default', `the default does not match the form: ${problems.map(describeProblem).join('; ')}`);
  }
  if (n.onReject !== 'discard' && n.onReject !== 'fail') {
    fail(ctx, 'onReject', `onReject must be 'discard' or 'fail', got ${JSON.stringify(n.onReject)}`);
  }
}

function validateWorkflow(n: Record<string, unknown>, ctx: Ctx): void {
  if (!Array.isArray(n.nodes)) fail(ctx, 'nodes', 'a workflow needs a list of nodes');
  if (n.nodes.length === 0) fail(ctx, 'nodes', 'a workflow needs at least one node');
  const ids = new Set<string>();
  for (const [i, item] of n.nodes.entries()) {
    if (!isPlainObject(item) || typeof item.id !== 'string' || item.id === '') {
      fail(ctx, `nodes[${i}].id`, 'every workflow node needs a string id');
    }
    for (const k of Object.keys(item)) {
      if (!['id', 'node', 'parents', 'ports'].includes(k))
        fail(ctx, `nodes[${i}].${k}`, 'unknown field (expected id, node, parents, ports)');
    }
    if (ids.has(item.id)) fail(ctx, `nodes[${i}].id`, `the id '${item.id}' is used twice`);
    ids.add(item.id);
  }
  const nodes = n.nodes as WorkflowNodeSpec[];
  for (const item of nodes) {
    if (!Array.isArray(item.parents))
      fail({ ...ctx, path: itemPath(ctx.path, item.id) }, 'parents', 'parents must be a list of ids');
    if (new Set(item.parents).size !== item.parents.length) {
      fail({ ...ctx, path: itemPath(ctx.path, item.id) }, 'parents', 'a parent is listed twice');
    }
    for (const p of item.parents) {
      if (!ids.has(p)) fail({ ...ctx, path: itemPath(ctx.path, item.id) }, 'parents', `unknown parent '${p}'`);
      if (p === item.id)
        fail({ ...ctx, path: itemPath(ctx.path, item.id) }, 'parents', 'a node cannot depend on itself');
    }
  }
  for (const item of nodes) validatePorts(item, nodes, { ...ctx, path: itemPath(ctx.path, item.id) });
  const cycle = findCycle(nodes);
  if (cycle) fail(ctx, 'nodes', `the dependencies form a cycle: ${cycle.join(' -> ')}`);
  for (const item of nodes) {
    validateNode(item.node, {
      ...ctx,
      path: itemPath(ctx.path, item.id),
      hasUpstream: ctx.hasUpstream || item.parents.length > 0
    });
  }
}

function validatePorts(item: WorkflowNodeSpec, siblings: WorkflowNodeSpec[], ctx: Ctx): void {
  if (item.ports === undefined) return;
  if (!isPlainObject(item.ports))
    fail(ctx, 'ports', 'ports must be an object {parent id: {parent key: argument name}}');
  for (const [parent, map] of Object.entries(item.ports)) {
    if (!item.parents.includes(parent))
      fail(
        ctx,
        `ports.${parent}`,
        `'${parent}' is not a parent of this node (parents: ${item.parents.join(', ') || 'none'})`
      );
    if (!isPlainObject(map))
      fail(ctx, `ports.${parent}`, 'the ports of a parent must be an object {parent key: argument name}');
    for (const [source, target] of Object.entries(map)) {
      if (source === '') fail(ctx, `ports.${parent}`, 'a port names an empty parent key');
      if (typeof target !== 'string' || target === '') {
        fail(
          ctx,
          `ports.${parent}.${source}`,
          `the argument name must be a non-empty string, got ${JSON.stringify(target)}`
        );
      }
      // Known before anything runs only for a form that allows no other keys.
      const known = closedFormKeys(siblings.find(s => s.id === parent)?.node);
      if (known && source !== 'None' && !known.includes(source)) {
        fail(
          ctx,
          `ports.${parent}.${source}`,
          `the form of '${parent}' never returns '${source}' (it returns: ${known.join(', ') || 'nothing'})`
        );
      }
    }
  }
}

/** The keys a manual step's form allows when it allows no others; undefined when not known. */
function closedFormKeys(node: unknown): string[] | undefined {
  if (!isPlainObject(node) || node.kind !== 'manual' || !isPlainObject(node.form)) return undefined;
  if (node.form.additionalProperties !== false) return undefined;
  return isPlainObject(node.form.properties) ? Object.keys(node.form.properties) : [];
}

function validateSwitch(n: Record<string, unknown>, ctx: Ctx): void {
  if (!ctx.hasUpstream) {
    fail(ctx, undefined, "a SwitchGroup needs parents: the branch comes from their 'pq_switch_key'");
  }
  if (!isPlainObject(n.branches) || Object.keys(n.branches).length === 0) {
    fail(ctx, 'branches', 'a SwitchGroup needs at least one branch');
  }
  for (const [key, branch] of Object.entries(n.branches)) {
    const bctx = { ...ctx, path: branchPath(ctx.path, key) };
    if (key === SWITCHGROUP_SKIP) fail(bctx, 'branches', `'${SWITCHGROUP_SKIP}' is reserved for skipping the group`);
    validateNode(branch, bctx);
    if (countTasks(branch as NodeSpec) === 0) fail(bctx, undefined, `the branch '${key}' is empty`);
  }
}

/** Depth-first search for a dependency cycle; returns its ids (first repeated at the end). */
function findCycle(nodes: WorkflowNodeSpec[]): string[] | null {
  const parents = new Map(nodes.map(n => [n.id, n.parents]));
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | null => {
    if (state.get(id) === 'done') return null;
    if (state.get(id) === 'open') return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, 'open');
    stack.push(id);
    for (const p of parents.get(id) ?? []) {
      const c = visit(p);
      if (c) return c;
    }
    stack.pop();
    state.set(id, 'done');
    return null;
  };
  for (const n of nodes) {
    const c = visit(n.id);
    if (c) return c.reverse(); // read as "a depends on b depends on ..." reversed to run order
  }
  return null;
}

function groupLabel(n: Record<string, unknown>): string {
  const kind = n.kind === 'static_width' ? 'StaticWidthGroup' : 'DynamicWidthGroup';
  return typeof n.name === 'string' ? `${kind} '${n.name}'` : `the ${kind}`;
}

/**
 * Entries a node makes when it is compiled: groups whose size is known only at run time count
 * as their one placeholder. Grows with every column of every static group inside.
 */
export function countEntries(n: NodeSpec): number {
  switch (n.kind) {
    case 'task':
    case 'manual':
    case 'dynamic_width':
    case 'cyclical':
    case 'switch':
      return 1;
    case 'workflow':
      return n.nodes.reduce((s, x) => s + countEntries(x.node), 0);
    case 'static_width':
      return n.width * countEntries(n.body);
  }
}

export function countTasks(n: NodeSpec): number {
  switch (n.kind) {
    case 'task':
    case 'manual':
      return 1;
    case 'workflow':
      return n.nodes.reduce((s, x) => s + countTasks(x.node), 0);
    case 'switch':
      return Object.values(n.branches).reduce((s, b) => s + countTasks(b), 0);
    default:
      return countTasks(n.body);
  }
}

/** A spec node with a stable number, so stored placeholders can refer to their body. */
export interface Template {
  id: number;
  path: string;
  spec: NodeSpec;
  /** The template this one is directly inside (null for the root). */
  parent: number | null;
  /** Its id among the nodes of that parent, when the parent is a workflow. */
  item: string | null;
}

/** Number every node of the tree in pre-order; the numbering is a pure function of the spec. */
export function numberTemplates(root: NodeSpec): { byId: Template[]; idOf: Map<NodeSpec, number> } {
  const byId: Template[] = [];
  const idOf = new Map<NodeSpec, number>();
  const walk = (spec: NodeSpec, path: string, parent: number | null, item: string | null) => {
    const id = byId.length;
    byId.push({ id, path, spec, parent, item });
    idOf.set(spec, id);
    switch (spec.kind) {
      case 'workflow':
        for (const node of spec.nodes) walk(node.node, itemPath(path, node.id), id, node.id);
        break;
      case 'switch':
        for (const [k, b] of Object.entries(spec.branches)) walk(b, branchPath(path, k), id, null);
        break;
      case 'static_width':
      case 'dynamic_width':
      case 'cyclical':
        walk(spec.body, bodyPath(path), id, null);
        break;
    }
  };
  walk(root, ROOT_PATH, null, null);
  return { byId, idOf };
}
