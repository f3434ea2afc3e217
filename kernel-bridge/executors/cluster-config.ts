// The project's description of its cluster, in MyQueue's terms: which scheduler, which node types
// (cores, memory, partition or queue, extra arguments) and how a resource string picks one.
// Owns: validating that description, guessing it from Slurm's `sinfo`, and node selection.
// Never submits anything and never decides workflow logic.
import type { Resources } from '../../core/resources.js';
import {
  runSchedulerCommand,
  describeCommand,
  SchedulerUnavailableError,
  type CommandRunner
} from './scheduler-command.js';

export type SchedulerKind = 'local' | 'slurm' | 'pbs' | 'lsf';

export interface ClusterNode {
  /** What a resource string names (`8:xeon24:2h`); also the Slurm partition unless `partition` is set. */
  name: string;
  cores: number;
  /** As MyQueue writes it: '24105M', '255GB'. Optional. */
  memory?: string;
  /** Slurm partition / PBS or LSF queue, when it differs from `name`. */
  partition?: string;
  /** Appended to the submit command for this node only, e.g. ['--gres=gpu:4']. */
  extraArgs?: string[];
  /** Only used when named explicitly, never picked by core count. */
  special?: boolean;
  /** GPUs per node (MyQueue's `gpus`): a task asking for GPUs is only picked onto such nodes. */
  gpus?: number;
}

export interface ClusterConfig {
  scheduler: SchedulerKind;
  /** Order matters: the first node whose core count fits wins (MyQueue's rule). */
  nodes: ClusterNode[];
  /** Appended to every submit command before the node's own extra arguments. */
  extraArgs?: string[];
  /**
   * Submit a task whose parents are all jobs of this scheduler before they end, with a native
   * afterok dependency (Slurm only; default true). False: every job is submitted when it is ready.
   */
  nativeDependencies?: boolean;
}

export class ClusterConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClusterConfigError';
  }
}

export interface NodeChoice {
  /** Undefined when the configuration lists no nodes: the scheduler's defaults apply. */
  node?: ClusterNode;
  /** Whole nodes needed for the requested cores. */
  nodes: number;
}

/**
 * MyQueue's `Resources.select`: a named node must exist; otherwise the first non-special node with
 * enough GPUs (and none when the task asks for none) whose core count divides the requested cores;
 * failing that the non-special node with the fewest cores.
 */
export function selectNode(config: ClusterConfig, resources: Resources): NodeChoice {
  const nodes = config.nodes;
  let node: ClusterNode | undefined;
  if (resources.nodename && resources.nodename !== 'local') {
    node = nodes.find(n => n.name === resources.nodename);
    if (!node) {
      const names = nodes.map(n => n.name).join(', ') || '(none)';
      throw new ClusterConfigError(`No such node '${resources.nodename}'; configured nodes: ${names}`);
    }
  } else if (nodes.length > 0) {
    const ordinary = nodes.filter(n => !n.special);
    const gpusOf = (n: ClusterNode) => n.gpus ?? 0;
    node = ordinary.find(
      n => resources.gpus <= gpusOf(n) && !(resources.gpus === 0 && gpusOf(n) > 0) && resources.cores % n.cores === 0
    );
    if (!node) {
      // A special node (GPUs, big memory) is never picked for a task that did not name it.
      const pool = ordinary.length > 0 ? ordinary : nodes;
      node = pool.reduce((best, n) => (n.cores < best.cores ? n : best));
    }
  }
  if (!node) return { nodes: 1 };
  return { node, nodes: Math.ceil(resources.cores / node.cores) };
}

/** Slurm partition or PBS/LSF queue of a node. */
export function queueOf(node: ClusterNode | undefined): string | undefined {
  if (!node) return undefined;
  return node.partition ?? node.name;
}

const UNIT_BYTES: Record<string, number> = { '': 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** Bytes in a MyQueue memory string ('255GB', '24105M', '512MB'); MyQueue counts in powers of 1000. */
export function memoryBytes(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)B?\s*$/i.exec(text);
  if (!m) throw new ClusterConfigError(`bad memory '${text}': write e.g. 255GB or 24105M`);
  return Number(m[1]) * UNIT_BYTES[m[2].toUpperCase()];
}

/** Checks a configuration read from the project's settings; messages name the field to fix. */
export function validateClusterConfig(value: unknown): ClusterConfig {
  const bad = (field: string, why: string) => new ClusterConfigError(`cluster configuration, field '${field}': ${why}`);
  if (typeof value !== 'object' || value === null) throw bad('(root)', 'must be an object');
  const v = value as Record<string, unknown>;
  const kinds: SchedulerKind[] = ['local', 'slurm', 'pbs', 'lsf'];
  if (!kinds.includes(v.scheduler as SchedulerKind)) throw bad('scheduler', `must be one of ${kinds.join(', ')}`);
  const strings = (x: unknown, field: string): string[] | undefined => {
    if (x === undefined) return undefined;
    if (!Array.isArray(x) || x.some(a => typeof a !== 'string')) throw bad(field, 'must be a list of strings');
    return [...(x as string[])];
  };
  const rawNodes = v.nodes ?? [];
  if (!Array.isArray(rawNodes)) throw bad('nodes', 'must be a list');
  const seen = new Set<string>();
  const nodes = rawNodes.map((n, i): ClusterNode => {
    const where = `nodes[${i}]`;
    if (typeof n !== 'object' || n === null) throw bad(where, 'must be an object');
    const o = n as Record<string, unknown>;
    if (typeof o.name !== 'string' || !/^[A-Za-z_][\w.-]*$/.test(o.name))
      throw bad(`${where}.name`, 'must be a name like xeon24');
    if (seen.has(o.name)) throw bad(`${where}.name`, `'${o.name}' is listed twice`);
    seen.add(o.name);
    if (!Number.isInteger(o.cores) || (o.cores as number) < 1)
      throw bad(`${where}.cores`, 'must be a whole number >= 1');
    const node: ClusterNode = { name: o.name, cores: o.cores as number };
    if (o.memory !== undefined) {
      if (typeof o.memory !== 'string') throw bad(`${where}.memory`, "must be a string like '255GB'");
      memoryBytes(o.memory);
      node.memory = o.memory;
    }
    if (o.partition !== undefined) {
      if (typeof o.partition !== 'string' || !o.partition)
        throw bad(`${where}.partition`, 'must be a non-empty string');
      node.partition = o.partition;
    }
    const extra = strings(o.extraArgs, `${where}.extraArgs`);
    if (extra) node.extraArgs = extra;
    if (o.gpus !== undefined) {
      if (!Number.isInteger(o.gpus) || (o.gpus as number) < 0)
        throw bad(`${where}.gpus`, 'must be a whole number >= 0');
      node.gpus = o.gpus as number;
    }
    if (o.special !== undefined) {
      if (typeof o.special !== 'boolean') throw bad(`${where}.special`, 'must be true or false');
      node.special = o.special;
    }
    return node;
  });
  const config: ClusterConfig = { scheduler: v.scheduler as SchedulerKind, nodes };
  const extra = strings(v.extraArgs, 'extraArgs');
  if (extra) config.extraArgs = extra;
  if (v.nativeDependencies !== undefined) {
    if (typeof v.nativeDependencies !== 'boolean') throw bad('nativeDependencies', 'must be true or false');
    config.nativeDependencies = v.nativeDependencies;
  }
  return config;
}

/**
 * Nodes from the text of `sinfo --noheader -O CPUs,Memory,Partition`: fixed 20-character columns,
 * memory in MB, '*' after the default partition and '+' after a value that varies inside a group.
 * One node type per partition, the first line of each winning, in sinfo's order.
 */
export function parseSinfoNodes(text: string): ClusterNode[] {
  const nodes: ClusterNode[] = [];
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts.length < 3 || !/^\d/.test(parts[0])) continue; // blank or header line
    const cores = Number.parseInt(parts[0], 10);
    const mem = parts[1].replace(/\+$/, '');
    const name = parts.slice(2).join(' ').replace(/\*$/, '');
    if (!Number.isInteger(cores) || cores < 1 || !/^\d+$/.test(mem) || !name) continue;
    if (nodes.some(n => n.name === name)) continue;
    nodes.push({ name, cores, memory: `${mem}M` });
  }
  return nodes;
}

/** MyQueue's `mq config slurm`: asks sinfo which partitions exist and how big their nodes are. */
export async function guessSlurmConfig(
  options: { run?: CommandRunner; timeoutMs?: number } = {}
): Promise<ClusterConfig> {
  const run = options.run ?? runSchedulerCommand;
  const args = ['--noheader', '-O', 'CPUs,Memory,Partition'];
  const r = await run('sinfo', args, { timeoutMs: options.timeoutMs });
  if (!r.ok) throw new SchedulerUnavailableError(describeCommand('sinfo', args, r), r);
  const nodes = parseSinfoNodes(r.stdout);
  if (nodes.length === 0) throw new ClusterConfigError(`sinfo listed no partitions: '${r.stdout.trim()}'`);
  return { scheduler: 'slurm', nodes };
}
