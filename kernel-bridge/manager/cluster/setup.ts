// The project's cluster set-up: `.perqueue/config.json` read (again when it changes) and checked,
// where an entry runs (local pool or the configured scheduler), one executor per scheduler, and
// the bigger resources of MyQueue's kick. It never submits, polls or cancels a job itself and
// never changes an entry's state.
import { readFileSync, statSync } from 'node:fs';
import type { RtNode } from '../../../core/model.js';
import { formatResources, parseResources } from '../../../core/resources.js';
import {
  ClusterConfigError,
  selectNode,
  validateClusterConfig,
  type ClusterConfig
} from '../../executors/cluster-config.js';
import { LsfExecutor } from '../../executors/lsf.js';
import { PbsExecutor } from '../../executors/pbs.js';
import { SlurmExecutor } from '../../executors/slurm.js';
import type { Executor } from '../../executors/types.js';
import type { Route } from './run.js';

const SUBMIT_TIMEOUT_MS = 60_000;
/** MyQueue's kick: a time-out is resubmitted with twice the time, up to two days. */
const MAX_TMAX = 2 * 24 * 3600;

export class ClusterSetup {
  private configCache?: { key: string; config: ClusterConfig | null; error?: string };
  private readonly executors = new Map<string, Executor>();

  constructor(private readonly configPath: string) {}

  /** The project's cluster configuration, null when there is none; throws naming the bad field. */
  config(): ClusterConfig | null {
    const path = this.configPath;
    let key = 'none';
    try {
      const st = statSync(path);
      key = `${st.mtimeMs}:${st.size}`;
    } catch {
      /* no configuration: everything runs locally */
    }
    if (this.configCache?.key !== key) {
      let config: ClusterConfig | null = null;
      let error: string | undefined;
      if (key !== 'none') {
        try {
          config = validateClusterConfig(JSON.parse(readFileSync(path, 'utf8')));
        } catch (e) {
          error = `${path}: ${(e as Error).message}`;
        }
      }
      this.configCache = { key, config, error };
      this.executors.clear();
    }
    if (this.configCache.error) throw new ClusterConfigError(this.configCache.error);
    return this.configCache.config;
  }

  /** Where an entry runs: the `local` node name or no configuration keep the local pool. */
  routeOf(n: RtNode): Route {
    const res = parseResources(n.resources ?? '1:local:10m');
    if (res.nodename === 'local') return 'local';
    const config = this.config();
    if (!config || config.scheduler === 'local') return 'local';
    return config.scheduler;
  }

  /** The executor of a scheduler (made anew when the configuration changed); throws for a bad one. */
  executor(kind: Route): Executor {
    let ex = this.executors.get(kind);
    if (ex) return ex;
    const config = this.config() ?? { scheduler: kind, nodes: [] };
    const options = { config, submitTimeoutMs: SUBMIT_TIMEOUT_MS };
    if (kind === 'slurm') ex = new SlurmExecutor(options);
    else if (kind === 'pbs') ex = new PbsExecutor(options);
    else if (kind === 'lsf') ex = new LsfExecutor(options);
    else throw new ClusterConfigError(`no executor for '${kind}'`);
    this.executors.set(kind, ex);
    return ex;
  }

  /** Are waiting tasks submitted ahead with afterok on their parents' jobs (Slurm only)? */
  nativeDependencies(kind: Route): boolean {
    if (kind !== 'slurm') return false;
    try {
      return this.config()?.nativeDependencies !== false;
    } catch {
      return false;
    }
  }

  /** More time (doubled, at most two days) or more memory (a whole node, then one node more). */
  bigger(resources: string, kick: 'time' | 'memory'): string | undefined {
    const r = parseResources(resources);
    if (kick === 'time') {
      if (r.tmax >= MAX_TMAX) return undefined;
      return formatResources({ ...r, tmax: Math.min(r.tmax * 2, MAX_TMAX) });
    }
    let nodeCores = 0;
    try {
      const config = this.config();
      if (config) nodeCores = selectNode(config, r).node?.cores ?? 0;
    } catch {
      /* no node: double the cores */
    }
    const cores =
      nodeCores > 0
        ? r.cores < nodeCores
          ? nodeCores
          : (Math.floor(r.cores / nodeCores) + 1) * nodeCores
        : r.cores * 2;
    const processes = r.processes === r.cores ? cores : r.processes;
    return formatResources({ ...r, cores, processes });
  }
}
