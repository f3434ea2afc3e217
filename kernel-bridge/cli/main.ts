// `pql`: the command line. Commands that change something go through the project's daemon
// (started on demand, so a submission alone gets its workflow run); commands that only read
// open the SQLite file read-only, so they work with or without a daemon.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RtNode } from '../../core/model.js';
import { parseStates, STATE_LETTER, workflowState, type EntryState } from '../../core/states.js';
import { call, daemonPid, ensureDaemon, isDaemonUp, BridgeError } from '../api/client.js';
import { guessSlurmConfig, validateClusterConfig } from '../executors/cluster-config.js';
import { readFacts } from '../manager/cluster.js';
import { findProject, initProject, projectPaths, type ProjectPaths } from '../project.js';
import { tail } from '../runner/results.js';
import { Store, type WorkflowSummary } from '../store/store.js';
import { VERSION } from '../version.js';
import { parseArgs, type Args } from './args.js';
import { daemonNotice } from './daemon-notice.js';
import { table } from './format.js';

const HELP = `pql ${VERSION} — PerQueue Lab workflows from the command line

Usage: pql <command> [options]          (--project DIR picks the project; default: nearest .perqueue/ above)

  init                                  make a project in this folder
  submit FILE [--name N] [--json]       submit a workflow: a Python submission script (.py),
         --spec FILE|-                  a JSON spec (.json or stdin), or a TS/JS module (default export)
  status [--json]                       one line per workflow with counts per state
  ls [-w WF] [-s STATES] [--json]       entries (STATES: letters wqrsdftcxba or names, comma-separated)
  show ID [--json]                      an entry: inputs, outputs, error, log tails
  logs ID [--stderr] [--follow]         an entry's stdout (or stderr)
  wait WF [--timeout SECONDS]           wait until the workflow stops changing; exit 1 if something
                                        failed, 3 if a manual step waits for a person, 2 on timeout
  retry ID...                           run failed/timed-out/cancelled/discarded entries again
  cancel ID... | -w WF                  cancel entries (and what is below) or a whole workflow
  rm -w WF... [--keep-files]            remove finished, failed or cancelled workflows from the project
                                        with their run folders (human-step notebooks stay)
  modify ID [--args JSON] [--resources R] [--retries N] [--max-tries N] [--width N]
  approve ID [--data JSON] [--by NAME]  complete a manual step
  reject ID [--reason TEXT] [--by NAME] reject a manual step
  daemon start|stop|status|run          the project's bridge daemon
  doctor [--json]                       check the workflow database; if it is damaged, salvage what can be
                                        read into its place (bridge stopped; the damaged file is kept)
  config [--json]                       the project's cluster configuration (.perqueue/config.json), checked
  config slurm [--force]                write a first Slurm configuration from sinfo (partitions, cores, memory)
`;

class UsageError extends Error {}

function projectFor(args: Args, create: boolean): ProjectPaths {
  const explicit = args.opt('project') ?? process.env.PQ_PROJECT;
  if (explicit) return create ? initProject(explicit) : projectPaths(resolve(explicit));
  const found = findProject(process.cwd());
  if (found) return projectPaths(found);
  if (create) return initProject(process.cwd());
  throw new UsageError(`no PerQueue Lab project in ${process.cwd()} or above: run 'pql init' (or submit a workflow) first`);
}

function openStore(paths: ProjectPaths): Store {
  if (!existsSync(paths.db)) throw new UsageError(`no workflow database yet at ${paths.db}: submit a workflow first`);
  return new Store(paths.db, { readonly: true });
}

function idArg(text: string | undefined, of: 'entry' | 'workflow' = 'entry'): number {
  if (!text || !/^\d+$/.test(text)) throw new UsageError(`expected ${of === 'entry' ? 'an entry' : 'a workflow'} id (a number), got '${text ?? ''}'`);
  return Number(text);
}

function jsonOpt(args: Args, name: string): unknown {
  const raw = args.opt(name);
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw);
  } catch (e) {
    throw new UsageError(`--${name} is not JSON: ${(e as Error).message}`);
  }
}

function intOpt(args: Args, name: string): number | undefined {
  const raw = args.opt(name);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new UsageError(`--${name} must be a whole number, got '${raw}'`);
  return Number(raw);
}

async function daemon(paths: ProjectPaths): Promise<ProjectPaths> {
  await ensureDaemon(paths, process.argv[1]);
  return paths;
}

function out(value: unknown): void {
  process.stdout.write(`${typeof value === 'string' ? value : JSON.stringify(value, null, 2)}\n`);
}

/** What `ls --json` promises to the Python API. */
function entryJson(n: RtNode) {
  return {
    id: n.id,
    workflowId: n.workflowId,
    name: n.name,
    kind: n.kind,
    state: n.state,
    index: n.index,
    iteration: n.iteration,
    args: n.args,
    data: n.data,
    error: n.error,
    code: n.code,
    resources: n.resources,
    attempt: n.attempt,
    jobId: n.jobId,
    host: n.host,
    startedAt: n.startedAt,
    endedAt: n.endedAt,
  };
}

function counts(s: WorkflowSummary): string {
  return (Object.entries(s.counts) as [EntryState, number][]).map(([st, n]) => `${STATE_LETTER[st]}:${n}`).join(' ');
}

async function loadSpec(file: string, args: Args): Promise<unknown> {
  if (file === '-') return JSON.parse(readFileSync(0, 'utf8'));
  const path = resolve(file);
  if (!existsSync(path)) throw new UsageError(`no such file: ${file}`);
  const ext = extname(path);
  if (ext === '.json') {
    try {
      return JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new UsageError(`${file} is not JSON: ${(e as Error).message}`);
    }
  }
  const mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
  let value = mod.default;
  if (typeof value === 'function') value = await (value as () => unknown)();
  if (value && typeof (value as { toDocument?: unknown }).toDocument === 'function') {
    value = (value as { toDocument: (n?: string) => unknown }).toDocument(args.opt('name'));
  }
  if (value === undefined) throw new UsageError(`${file} has no default export (a workflow document or a builder)`);
  return value;
}

async function submit(args: Args): Promise<number> {
  const paths = projectFor(args, true);
  const file = args.opt('spec') ?? args.positional[1];
  if (!file) throw new UsageError('submit needs a file: a .py submission script, a .json spec or a TS/JS module');
  if (extname(file) === '.py' && !args.opt('spec')) {
    // A Python submission script submits through the Python API, which calls `pql submit --spec -`.
    const python = process.env.PQ_PYTHON || 'python3';
    const r = spawnSync(python, [resolve(file), ...args.positional.slice(2)], {
      stdio: 'inherit',
      env: { ...process.env, PQ_PROJECT: paths.root },
    });
    return r.status ?? 1;
  }
  const spec = (await loadSpec(file, args)) as Record<string, unknown>;
  if (args.opt('name') && spec && typeof spec === 'object') spec.name = args.opt('name');
  await daemon(paths);
  const result = await call<{ workflowId: number; entries: number }>(paths, 'POST', '/api/workflows', {
    spec,
    python: args.opt('python') ?? process.env.PQ_PYTHON ?? null,
    virtualEnv: process.env.VIRTUAL_ENV ?? null,
  });
  if (args.flag('json')) out(result);
  else out(`submitted workflow ${result.workflowId} (${result.entries} entries so far)`);
  return 0;
}

async function status(args: Args): Promise<number> {
  const paths = projectFor(args, false);
  await daemonNotice(paths, process.argv[1]);
  const store = openStore(paths);
  const rows = store.workflowSummaries();
  if (args.flag('json')) return out(rows), 0;
  out(table(['wf', 'name', 'entries', 'states'], rows.map((s) => [s.id, s.name, s.total, counts(s)])));
  return 0;
}

async function ls(args: Args): Promise<number> {
  const paths = projectFor(args, false);
  await daemonNotice(paths, process.argv[1]);
  const store = openStore(paths);
  const states = args.opt('s') ?? args.opt('states');
  const wf = args.opt('w') ?? args.opt('workflow');
  const nodes = store.listNodes({
    workflowId: wf !== undefined ? Number(wf) : undefined,
    states: states ? parseStates(states) : undefined,
  });
  if (args.flag('json')) return out(nodes.map(entryJson)), 0;
  out(
    table(
      ['id', 'wf', 'name', 'kind', 'state', 'index', 'iter', 'try', 'error'],
      nodes.map((n) => [
        n.id,
        n.workflowId,
        n.name,
        n.kind,
        n.state,
        n.index.length ? JSON.stringify(n.index) : '',
        n.iteration.length ? JSON.stringify(n.iteration) : '',
        n.attempt,
        (n.error ?? '').split('\n')[0].slice(0, 60),
      ]),
    ),
  );
  return 0;
}

async function show(args: Args): Promise<number> {
  const paths = projectFor(args, false);
  const id = idArg(args.positional[1]);
  await daemonNotice(paths, process.argv[1]);
  let detail: { node: RtNode; input: unknown; runDir: string | null };
  if (await isDaemonUp(paths)) {
    detail = await call(paths, 'GET', `/api/entries/${id}`);
  } else {
    const node = openStore(paths).node(id);
    if (!node) throw new UsageError(`no entry ${id}`);
    detail = { node, input: null, runDir: null };
  }
  const runDir = detail.runDir ?? `${paths.runs}/${detail.node.workflowId}/${detail.node.id}.${detail.node.attempt}`;
  const stdout = tail(`${runDir}/stdout`, 2000);
  const stderr = tail(`${runDir}/stderr`, 2000);
  if (args.flag('json')) return out({ ...detail, entry: entryJson(detail.node), runDir, stdout, stderr }), 0;
  const n = detail.node;
  out(
    [
      `entry ${n.id} '${n.name}' (${n.kind}) of workflow ${n.workflowId}: ${n.state}`,
      n.code ? `code: ${n.code}   resources: ${n.resources}   attempt: ${n.attempt}` : '',
      n.index.length ? `pq_index: ${JSON.stringify(n.index)}` : '',
      n.iteration.length ? `pq_iteration: ${JSON.stringify(n.iteration)}` : '',
      n.jobId ? jobLine(n, runDir) : '',
      `args: ${JSON.stringify(n.args)}`,
      detail.input ? `input: ${JSON.stringify((detail.input as { kwargs: unknown }).kwargs)}` : '',
      `output: ${JSON.stringify(n.data)}`,
      n.error ? `error: ${n.error}` : '',
      stdout ? `--- stdout (tail) ---\n${stdout.trimEnd()}` : '',
      stderr ? `--- stderr (tail) ---\n${stderr.trimEnd()}` : '',
    ]
      .filter(Boolean)
      .join('\n'),
  );
  return 0;
}

/** Where and when the entry's job ran, and how the scheduler saw it end. */
function jobLine(n: RtNode, runDir: string): string {
  const time = (t: number | null | undefined) => (t ? new Date(t).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '?');
  let line = `job: ${n.executor} ${n.jobId} on ${n.host ?? '?'}`;
  if (n.startedAt) line += `, started ${time(n.startedAt)}`;
  if (n.endedAt) line += `, ended ${time(n.endedAt)}`;
  const f = readFacts(runDir);
  if (f?.state) {
    line += `\n${f.executor} says: ${f.state}${f.exitCode !== undefined ? ` (exit code ${f.exitCode})` : ''}`;
    if (f.reason && f.reason.toLowerCase() !== f.state.replace('_', ' ')) line += ` — ${f.reason}`;
    if (f.resubmittedWith) line += `; resubmitted with ${f.resubmittedWith}`;
  }
  return line;
}

async function config(args: Args): Promise<number> {
  const sub = args.positional[1];
  if (sub === 'slurm') {
    const paths = projectFor(args, true);
    if (existsSync(paths.config) && !args.flag('force')) {
      throw new UsageError(`${paths.config} exists already: edit it, or use --force to replace it`);
    }
    const guessed = await guessSlurmConfig();
    writeFileSync(`${paths.config}.tmp`, `${JSON.stringify(guessed, null, 2)}\n`);
    renameSync(`${paths.config}.tmp`, paths.config);
    if (args.flag('json')) out(guessed);
    else {
      out(`wrote ${paths.config}:`);
      out(table(['node (partition)', 'cores', 'memory'], guessed.nodes.map((n) => [n.name, n.cores, n.memory ?? ''])));
      out(`tasks whose resource string names one of these (e.g. '1:${guessed.nodes[0].name}:10m') or no node run on Slurm; ':local:' keeps the local pool`);
    }
    return 0;
  }
  if (sub !== undefined) throw new UsageError(`config needs no argument or 'slurm', got '${sub}'`);
  const paths = projectFor(args, false);
  if (!existsSync(paths.config)) {
    out(`no cluster configuration (${paths.config}): every task runs on the local pool; 'pql config slurm' writes one`);
    return 0;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(paths.config, 'utf8'));
  } catch (e) {
    throw new UsageError(`${paths.config} is not JSON: ${(e as Error).message}`);
  }
  let checked;
  try {
    checked = validateClusterConfig(raw);
  } catch (e) {
    throw new UsageError(`${paths.config}: ${(e as Error).message}`);
  }
  if (args.flag('json')) return out(checked), 0;
  out(`${paths.config}: scheduler ${checked.scheduler}${checked.extraArgs?.length ? `, extra arguments ${checked.extraArgs.join(' ')}` : ''}`);
  out(
    table(
      ['node', 'cores', 'memory', 'partition/queue', 'extra arguments'],
      checked.nodes.map((n) => [n.name + (n.special ? ' (special)' : ''), n.cores, n.memory ?? '', n.partition ?? n.name, (n.extraArgs ?? []).join(' ')]),
    ),
  );
  return 0;
}

async function logs(args: Args): Promise<number> {
  const paths = projectFor(args, false);
  const id = idArg(args.positional[1]);
  await daemonNotice(paths, process.argv[1]);
  const node = openStore(paths).node(id);
  if (!node) throw new UsageError(`no entry ${id}`);
  const file = `${paths.runs}/${node.workflowId}/${node.id}.${Math.max(1, node.attempt)}/${args.flag('stderr') ? 'stderr' : 'stdout'}`;
  let shown = 0;
  const print = () => {
    if (!existsSync(file)) return;
    const size = statSync(file).size;
    if (size > shown) {
      process.stdout.write(readFileSync(file).subarray(shown));
      shown = size;
    }
  };
  print();
  if (!args.flag('follow')) return 0;
  for (;;) {
    await new Promise((r) => setTimeout(r, 300));
    print();
    const now = openStore(paths).node(id)!;
    if (!['waiting', 'queued', 'running'].includes(now.state)) return print(), 0;
  }
}

async function wait(args: Args): Promise<number> {
  const paths = projectFor(args, false);
  const wf = idArg(args.positional[1] ?? args.opt('w'), 'workflow');
  await daemonNotice(paths, process.argv[1]);
  const timeout = Number(args.opt('timeout') ?? 0) * 1000;
  const start = Date.now();
  // With a bridge running, it tells when the workflow settles (a long-poll that returns within
  // milliseconds of the last change); without one, read the store every 100 ms.
  let bridge = await isDaemonUp(paths);
  for (;;) {
    const left = timeout > 0 ? timeout - (Date.now() - start) : 60_000;
    let s: WorkflowSummary | undefined;
    if (bridge && left > 0) {
      const seconds = Math.max(0.05, Math.min(60, left / 1000));
      s = await call<WorkflowSummary>(paths, 'GET', `/api/workflows/${wf}/wait?timeout=${seconds}`).catch((e) => {
        if (e instanceof BridgeError && e.status === 404) throw new UsageError(`no workflow ${wf}`);
        bridge = false; // the bridge went away: its jobs may still end, read the store instead
        return undefined;
      });
      if (!s) {
        // Nothing moves a workflow without its bridge: start it again (or say how) once.
        await daemonNotice(paths, process.argv[1]);
        bridge = await isDaemonUp(paths);
      }
    }
    if (!s) {
      const store = openStore(paths);
      s = store.workflowSummary(wf);
      store.close();
      if (!s) throw new UsageError(`no workflow ${wf}`);
    }
    const human = s.counts.awaiting_input ?? 0;
    if (workflowState(s.counts) !== 'running') {
      // Nothing moves without a person now: finished, failed, or waiting for an approval.
      const bad = (s.counts.failed ?? 0) + (s.counts.timed_out ?? 0) + (s.counts.blocked ?? 0);
      if (!args.flag('quiet')) out(`workflow ${wf}: ${counts(s)}${human ? ' (waiting for a person)' : ''}`);
      return bad > 0 ? 1 : human > 0 ? 3 : 0;
    }
    if (timeout > 0 && Date.now() - start >= timeout) {
      out(`workflow ${wf} still running after ${timeout / 1000} s: ${counts(s)}`);
      return 2;
    }
    if (!bridge) await new Promise((r) => setTimeout(r, 100));
  }
}

async function action(args: Args): Promise<number> {
  const paths = await daemon(projectFor(args, false));
  const cmd = args.positional[0];
  const ids = args.positional.slice(1);
  if (cmd === 'cancel' && (args.opt('w') ?? args.opt('workflow'))) {
    const wf = idArg(args.opt('w') ?? args.opt('workflow'), 'workflow');
    const r = await call<{ cancelled: number[] }>(paths, 'POST', `/api/workflows/${wf}/cancel`);
    out(`workflow ${wf} cancelled (${r.cancelled.length} running or queued jobs stopped)`);
    return 0;
  }
  if (ids.length === 0) throw new UsageError(`${cmd} needs at least one entry id`);
  for (const raw of ids) {
    const id = idArg(raw);
    switch (cmd) {
      case 'retry':
        await call(paths, 'POST', `/api/entries/${id}/retry`);
        out(`entry ${id} queued again`);
        break;
      case 'cancel':
        await call(paths, 'POST', `/api/entries/${id}/cancel`);
        out(`entry ${id} cancelled`);
        break;
      case 'modify': {
        const body = {
          args: jsonOpt(args, 'args'),
          resources: args.opt('resources'),
          retries: intOpt(args, 'retries'),
          maxTries: intOpt(args, 'max-tries'),
          width: intOpt(args, 'width'),
        };
        if (Object.values(body).every((v) => v === undefined)) {
          throw new UsageError('modify needs --args, --resources, --retries, --max-tries or --width');
        }
        await call(paths, 'POST', `/api/entries/${id}/modify`, body);
        out(`entry ${id} modified`);
        break;
      }
      case 'approve':
        await call(paths, 'POST', `/api/entries/${id}/approve`, { data: jsonOpt(args, 'data'), by: args.opt('by') ?? process.env.USER ?? 'cli' });
        out(`entry ${id} approved`);
        break;
      case 'reject':
        await call(paths, 'POST', `/api/entries/${id}/reject`, { reason: args.opt('reason') ?? '', by: args.opt('by') ?? process.env.USER ?? 'cli' });
        out(`entry ${id} rejected`);
        break;
    }
  }
  return 0;
}

/** `pql rm -w WF [WF...]`: whole workflows only (an entry cannot leave the graph it is part of). */
async function remove(args: Args): Promise<number> {
  const given = [args.opt('w') ?? args.opt('workflow'), ...args.positional.slice(1)].filter((x): x is string => x !== undefined);
  if (given.length === 0) throw new UsageError('rm needs -w WF: the workflows to remove (entries cannot be removed one by one)');
  const ids = given.map((raw) => idArg(raw, 'workflow'));
  const paths = await daemon(projectFor(args, false));
  for (const wf of ids) {
    const r = await call<{ name: string; entries: number; filesRemoved: boolean; filesProblem?: string; runDir: string }>(
      paths,
      'POST',
      `/api/workflows/${wf}/remove`,
      { keepFiles: args.flag('keep-files') },
    );
    const files = r.filesRemoved ? 'and its run folders' : r.filesProblem ? `but not all of ${r.runDir}: ${r.filesProblem}` : `(run folders kept in ${r.runDir})`;
    out(`workflow ${wf} ('${r.name}') removed: ${r.entries} entries ${files}`);
  }
  return 0;
}

async function daemonCommand(args: Args): Promise<number> {
  const sub = args.positional[1];
  if (sub === 'run') {
    // Loaded only here: the server's modules would cost every short CLI call its start-up time.
    const { runDaemon } = await import('../daemon.js');
    await runDaemon(projectFor(args, true).root);
    return -1; // keep running
  }
  const paths = projectFor(args, sub === 'start');
  if (sub === 'start') {
    await ensureDaemon(paths, process.argv[1]);
    out(`bridge running (pid ${daemonPid(paths)})`);
    return 0;
  }
  if (sub === 'stop') {
    const pid = daemonPid(paths);
    if (pid === null) return out('no bridge running'), 0;
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100 && daemonPid(paths) !== null; i++) await new Promise((r) => setTimeout(r, 50));
    out(`bridge stopped (pid ${pid})`);
    return 0;
  }
  if (sub === 'status') {
    const up = await isDaemonUp(paths);
    const info = up ? await call<Record<string, unknown>>(paths, 'GET', '/api/version') : null;
    if (args.flag('json')) out({ running: up, project: paths.root, ...(info ?? {}) });
    else out(up ? `bridge running (pid ${info!.pid}, version ${info!.version}) for ${paths.root}` : `no bridge running for ${paths.root}`);
    return up ? 0 : 3;
  }
  throw new UsageError('daemon needs start, stop, status or run');
}

export async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const cmd = args.positional[0];
  if (!cmd || cmd === 'help' || args.flag('help') || args.flag('h')) return out(HELP), 0;
  if (cmd === 'version' || args.flag('version')) return out(VERSION), 0;
  switch (cmd) {
    case 'init': {
      const p = projectFor(args, true);
      out(`PerQueue Lab project in ${p.root}`);
      return 0;
    }
    case 'submit':
      return submit(args);
    case 'status':
      return status(args);
    case 'ls':
    case 'list':
      return ls(args);
    case 'show':
      return show(args);
    case 'logs':
      return logs(args);
    case 'wait':
      return wait(args);
    case 'retry':
    case 'cancel':
    case 'modify':
    case 'approve':
    case 'reject':
      return action(args);
    case 'rm':
    case 'remove':
      return remove(args);
    case 'daemon':
      return daemonCommand(args);
    case 'config':
      return config(args);
    case 'doctor': {
      const { doctorCommand } = await import('./doctor.js');
      return doctorCommand(projectFor(args, false), args.flag('json'), out);
    }
    default:
      throw new UsageError(`unknown command '${cmd}' (see 'pql help')`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (e: unknown) => {
    const msg = e instanceof UsageError || e instanceof BridgeError ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e);
    process.stderr.write(`pql: ${msg}\n`);
    process.exitCode = e instanceof UsageError || e instanceof BridgeError ? 2 : 1;
  },
);
