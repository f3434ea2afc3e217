// What several commands share: finding the project, opening its store, reading ids and option
// values, printing, and the shape of one command.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { jsonNestingProblem } from '../../core/limits.js';
import type { RtNode } from '../../core/model.js';
import { STATE_LETTER, type EntryState } from '../../core/states.js';
import { ensureDaemon } from '../api/client.js';
import { findProject, initProject, openProject, type ProjectPaths } from '../project.js';
import { Store, type WorkflowSummary } from '../store/store.js';
import { UsageError, type Args, type OptionSpec } from './args.js';
import { printable } from './format.js';

export { UsageError };
export type { Args, OptionSpec };

export interface Command {
  name: string;
  aliases?: string[];
  /** The usage line after `pql `. */
  usage: string;
  /** One line for `pql help`. */
  summary: string;
  /** More for `pql help NAME`: details and how PerQueue's `pq` spelling maps onto it. */
  details?: string;
  options: OptionSpec[];
  /** Appended to the message about an unknown option. */
  unknownOptionHint?: string;
  /** Fewest and most positional arguments after the command word. */
  positionals: [number, number];
  run(args: Args): Promise<number>;
}

export function projectFor(args: Args, create: boolean): ProjectPaths {
  const explicit = args.opt('project') ?? process.env.PQ_PROJECT;
  // Every way to a project checks it belongs to this user (UnsafeProjectError says why not).
  if (explicit) return create ? initProject(explicit) : openProject(resolve(explicit));
  const found = findProject(process.cwd());
  if (found) return openProject(found);
  if (create) return initProject(process.cwd());
  throw new UsageError(
    `no PerQueue Lab project in ${process.cwd()} or above: run 'pql init' (or submit a workflow) first`
  );
}

export function openStore(paths: ProjectPaths): Store {
  if (!existsSync(paths.db)) throw new UsageError(`no workflow database yet at ${paths.db}: submit a workflow first`);
  return new Store(paths.db, { readonly: true });
}

export function idArg(text: string | undefined, of: 'entry' | 'workflow' = 'entry'): number {
  if (!text || !/^\d+$/.test(text))
    throw new UsageError(`expected ${of === 'entry' ? 'an entry' : 'a workflow'} id (a number), got '${text ?? ''}'`);
  return Number(text);
}

export function jsonOpt(args: Args, name: string): unknown {
  const raw = args.opt(name);
  if (raw === undefined) return undefined;
  return parseJsonText(raw, `--${name}`);
}

/** JSON from the user, refused (not a stack overflow) when it nests deeper than the bridge takes. */
export function parseJsonText(text: string, what: string): unknown {
  const deep = jsonNestingProblem(text);
  if (deep) throw new UsageError(`${what} is refused: ${deep}`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${what} is not JSON: ${(e as Error).message}`);
  }
}

export function intOpt(args: Args, name: string): number | undefined {
  const raw = args.opt(name);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new UsageError(`--${name} must be a whole number, got '${raw}'`);
  return Number(raw);
}

export async function daemon(paths: ProjectPaths): Promise<ProjectPaths> {
  await ensureDaemon(paths, process.argv[1]);
  return paths;
}

/** Text goes out with terminal control characters escaped: names and outputs are not trusted. */
export function out(value: unknown): void {
  process.stdout.write(`${typeof value === 'string' ? printable(value) : JSON.stringify(value, null, 2)}\n`);
}

/** What `ls --json` promises to the Python API. */
export function entryJson(n: RtNode) {
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
    endedAt: n.endedAt
  };
}

export function counts(s: WorkflowSummary): string {
  return (Object.entries(s.counts) as [EntryState, number][]).map(([st, n]) => `${STATE_LETTER[st]}:${n}`).join(' ');
}

/** `by` for approve / reject: who acts. */
export function actor(args: Args): string {
  return args.opt('by') ?? process.env.USER ?? 'cli';
}

// Options several commands take, spelt and explained alike everywhere.

/** `--by NAME`, read by actor(); `verb` is what that person does ('approves'). */
export const byOption = (verb: string): OptionSpec => ({
  names: ['--by'],
  value: 'NAME',
  help: `who ${verb} (default: $USER)`
});

/** `--json`: JSON on stdout instead of text; `help` says what is printed. */
export const jsonFlag = (help = 'as JSON'): OptionSpec => ({ names: ['--json'], help });

/** `-w/--workflow WF`, read as `workflow`. */
export const workflowOption = (help: string): OptionSpec => ({ names: ['-w', '--workflow'], value: 'WF', help });
