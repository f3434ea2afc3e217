// The TypeScript API for writing workflows: the same building blocks and names as the Python
// API (PerQueue's), producing the same JSON spec. Shared fixtures in tests/fixtures/specs are
// checked from both sides.
import { DEFAULT_MAX_TRIES, SWITCHGROUP_SKIP } from './constants.js';
import { uniqueIds, taskName } from './nodeIds.js';
import { formatResources, parseResources } from './resources.js';
import { SPEC_VERSION, type JsonObject, type NodeSpec, type Ports, type WorkflowDocument } from './spec.js';

export const DEFAULT_RESOURCES = '1:local:10m';

const DEFAULT_GROUP_NAMES: Record<string, string> = {
  workflow: 'Workflow',
  static_width: 'SWG',
  dynamic_width: 'DWG',
  cyclical: 'CG',
  switch: 'SG'
};

/**
 * A group body: one node, a list (a chain), or parents by node (a DAG). In a DAG the parents may
 * be given with PerQueue's ports, `new Map([[parent, { energy: 'E' }]])`: the parent's output
 * `energy` reaches the child as its argument `E`, and no other key of that parent does.
 */
export type Body = SpecBuilder | SpecBuilder[] | Map<SpecBuilder, SpecBuilder[] | Map<SpecBuilder, Ports>>;

export abstract class SpecBuilder {
  abstract readonly kind: NodeSpec['kind'];
  abstract toSpec(): NodeSpec;
  /** The name workflow node ids are made from. */
  abstract get displayName(): string;

  toDocument(name?: string): WorkflowDocument {
    return { specVersion: SPEC_VERSION, name: name ?? this.displayName, root: this.toSpec() };
  }
}

export interface TaskOptions {
  name?: string;
  retries?: number;
  preamble?: string;
  /** The function of the script to call instead of `main` (PerQueue's `func`). */
  func?: string;
  /** Leave the processes the task starts running after its normal end. */
  keepProcesses?: boolean;
}

export class Task extends SpecBuilder {
  readonly kind = 'task';
  readonly name: string;
  constructor(
    readonly code: string,
    readonly args: JsonObject | null = null,
    readonly resources: string = DEFAULT_RESOURCES,
    readonly options: TaskOptions = {}
  ) {
    super();
    if (!code.startsWith('/')) throw new Error(`Task '${code}': the code path must be absolute`);
    this.name = taskName(options.name, code);
    parseResources(resources); // fail here, where the task is written
    if (options.func !== undefined && !/^[A-Za-z_]\w*$/.test(options.func)) {
      throw new Error(
        `Task '${this.name}', field 'func': expected the name of a Python function, got ${JSON.stringify(options.func)}`
      );
    }
  }
  get displayName(): string {
    return this.name;
  }
  toSpec(): NodeSpec {
    const spec: NodeSpec = {
      kind: 'task',
      name: this.name,
      code: this.code,
      args: this.args ?? {},
      resources: formatResources(parseResources(this.resources))
    };
    if (this.options.retries) spec.retries = this.options.retries;
    if (this.options.preamble !== undefined) spec.preamble = this.options.preamble;
    if (this.options.func !== undefined && this.options.func !== 'main') spec.func = this.options.func;
    if (this.options.keepProcesses) spec.keepProcesses = true;
    return spec;
  }
}

export interface ManualTaskOptions {
  notebook?: string;
  form?: JsonObject;
  args?: JsonObject;
  timeout?: number;
  default?: JsonObject;
  onReject?: 'discard' | 'fail';
}

export class ManualTask extends SpecBuilder {
  readonly kind = 'manual';
  constructor(
    readonly name: string,
    readonly options: ManualTaskOptions = {}
  ) {
    super();
  }
  get displayName(): string {
    return this.name;
  }
  toSpec(): NodeSpec {
    const o = this.options;
    const spec: Record<string, unknown> = { kind: 'manual', name: this.name, args: o.args ?? {} };
    if (o.notebook !== undefined) spec.notebook = o.notebook;
    if (o.form !== undefined) spec.form = o.form;
    if (o.timeout !== undefined) spec.timeout = o.timeout;
    if (o.default !== undefined) spec.default = o.default;
    spec.onReject = o.onReject ?? 'discard';
    return spec as unknown as NodeSpec;
  }
}

abstract class Group extends SpecBuilder {
  constructor(readonly groupName?: string) {
    super();
    // Refused where it is written, as the Python builder does (the spec needs a non-empty name).
    if (groupName === '') throw new Error("the name of a group must be a non-empty string, got ''");
  }
  get displayName(): string {
    return this.groupName ?? DEFAULT_GROUP_NAMES[this.kind];
  }
  protected named(rest: Record<string, unknown>): NodeSpec {
    return {
      kind: this.kind,
      ...(this.groupName !== undefined ? { name: this.groupName } : {}),
      ...rest
    } as unknown as NodeSpec;
  }
}

export class Workflow extends Group {
  readonly kind = 'workflow';
  readonly deps: Map<SpecBuilder, SpecBuilder[]>;
  /** Ports by child, then by parent. */
  readonly ports: Map<SpecBuilder, Map<SpecBuilder, Ports>>;
  constructor(body: Body, name?: string) {
    super(name);
    [this.deps, this.ports] = dependencies(body);
  }
  toSpec(): NodeSpec {
    const nodes = [...this.deps.keys()];
    const ids = new Map(uniqueIds(nodes.map(n => n.displayName)).map((id, i) => [nodes[i], id]));
    return this.named({
      nodes: [...this.deps].map(([n, parents]) => {
        const item: Record<string, unknown> = {
          id: ids.get(n)!,
          node: n.toSpec(),
          parents: parents.map(p => ids.get(p)!)
        };
        const ports = this.ports.get(n);
        if (ports && ports.size > 0)
          item.ports = Object.fromEntries([...ports].map(([p, m]) => [ids.get(p)!, { ...m }]));
        return item;
      })
    });
  }
}

export class StaticWidthGroup extends Group {
  readonly kind = 'static_width';
  readonly body: SpecBuilder;
  constructor(
    body: Body,
    readonly width: number,
    name?: string
  ) {
    super(name);
    this.body = asNode(body);
  }
  toSpec(): NodeSpec {
    return this.named({ body: this.body.toSpec(), width: this.width });
  }
}

export class DynamicWidthGroup extends Group {
  readonly kind = 'dynamic_width';
  readonly body: SpecBuilder;
  constructor(body: Body, name?: string) {
    super(name);
    this.body = asNode(body);
  }
  toSpec(): NodeSpec {
    return this.named({ body: this.body.toSpec() });
  }
}

export class CyclicalGroup extends Group {
  readonly kind = 'cyclical';
  readonly body: SpecBuilder;
  constructor(
    body: Body,
    readonly maxTries: number = DEFAULT_MAX_TRIES,
    name?: string
  ) {
    super(name);
    if (!Number.isInteger(maxTries) || maxTries < 1)
      throw new Error(`CyclicalGroup: max_tries must be a whole number >= 1, got ${maxTries}`);
    this.body = asNode(body);
  }
  toSpec(): NodeSpec {
    return this.named({ body: this.body.toSpec(), maxTries: this.maxTries });
  }
}

export class SwitchGroup extends Group {
  readonly kind = 'switch';
  readonly branches: Map<string, SpecBuilder>;
  constructor(branches: Record<string, Body> | Map<string | number, Body>, name?: string) {
    super(name);
    const entries = branches instanceof Map ? [...branches] : Object.entries(branches);
    this.branches = new Map();
    for (const [k, b] of entries) {
      const key = String(k);
      if (key === SWITCHGROUP_SKIP)
        throw new Error(`SwitchGroup: '${SWITCHGROUP_SKIP}' is reserved for skipping the group`);
      if (this.branches.has(key)) throw new Error(`SwitchGroup: the key '${key}' is given twice`);
      this.branches.set(key, asNode(b));
    }
  }
  toSpec(): NodeSpec {
    return this.named({ branches: Object.fromEntries([...this.branches].map(([k, b]) => [k, b.toSpec()])) });
  }
}

function asNode(body: Body): SpecBuilder {
  return body instanceof SpecBuilder ? body : new Workflow(body);
}

/** Parents by node, in insertion order: keys first, then parents not yet seen (as in Python). */
function dependencies(body: Body): [Map<SpecBuilder, SpecBuilder[]>, Map<SpecBuilder, Map<SpecBuilder, Ports>>] {
  const ports = new Map<SpecBuilder, Map<SpecBuilder, Ports>>();
  if (body instanceof Workflow) return [new Map([...body.deps].map(([n, ps]) => [n, [...ps]])), new Map(body.ports)];
  if (body instanceof SpecBuilder) return [new Map([[body, []]]), ports];
  if (Array.isArray(body)) {
    if (body.length === 0) throw new Error('Workflow: an empty list holds no task');
    const deps = new Map<SpecBuilder, SpecBuilder[]>([[body[0], []]]);
    for (let i = 1; i < body.length; i++) deps.set(body[i], [body[i - 1]]);
    return [deps, ports];
  }
  if (body.size === 0) throw new Error('Workflow: an empty map holds no task');
  const deps = new Map<SpecBuilder, SpecBuilder[]>();
  for (const [n, ps] of body) {
    if (ps instanceof Map) {
      deps.set(n, [...ps.keys()]);
      const named = new Map([...ps].filter(([, m]) => Object.keys(m).length > 0));
      for (const [p, m] of named) {
        for (const [source, target] of Object.entries(m)) {
          if (typeof target !== 'string' || target === '') {
            throw new Error(
              `Workflow: the port '${source}' from '${p.displayName}' to '${n.displayName}' needs an argument name, got ${JSON.stringify(target)}`
            );
          }
        }
      }
      if (named.size > 0) ports.set(n, named);
    } else {
      deps.set(n, [...new Set(ps)]);
    }
  }
  for (const ps of [...deps.values()]) for (const p of ps) if (!deps.has(p)) deps.set(p, []);
  return [deps, ports];
}
