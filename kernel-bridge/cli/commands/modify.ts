// `pql modify`: change entries before they run (again). Two spellings:
//   pql modify ID... --args JSON | --resources R | --retries N | --max-tries N | --width N [--all]
//   pql modify a|arguments|r|resources|c|code [INPUT] -i ID [--all]      (PerQueue's `pq modify`)
// In PerQueue's spelling INPUT is a JSON file of arguments (constant names such as
// DYNAMICWIDTHGROUP_KEY allowed, as PerQueue's loads_w_consts allows), a resource string, or the
// new script; without INPUT, arguments and resources open in $VISUAL / $EDITOR.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RtNode } from '../../../core/model.js';
import { ALL_CONSTANTS } from '../../../core/constants.js';
import { call } from '../../api/client.js';
import type { Store } from '../../store/store.js';
import {
  daemon,
  idArg,
  intOpt,
  jsonOpt,
  openStore,
  out,
  projectFor,
  UsageError,
  type Args,
  type Command
} from '../common.js';

const WHAT: Record<string, 'args' | 'resources' | 'code'> = {
  a: 'args',
  arguments: 'args',
  r: 'resources',
  resources: 'resources',
  c: 'code',
  code: 'code'
};

// States in which the bridge accepts new args, resources or code (as the Python API's save_args).
const EDITABLE = new Set(['waiting', 'blocked', 'failed', 'timed_out', 'cancelled', 'discarded']);

export const modify: Command = {
  name: 'modify',
  usage:
    'modify ID... [--args JSON] [--resources R] [--code FILE] [--retries N] [--max-tries N] [--width N] [--all]\n       modify a|r|c [INPUT] -i ID [--all]',
  summary: "change entries before they run (again); the second form is PerQueue's 'pq modify'",
  details: `pql modify a -i 42 args.json      new arguments from a JSON file (no file: opens $EDITOR)
pql modify r -i 42 1:local:10m     new resources (no string: opens $EDITOR)
pql modify c -i 42 better.py       new script (must be an existing file)
--all also changes every other entry of the same task that can still change (same workflow,
name, script, args and resources: the columns of a width group), as PerQueue's --all changes the
task they share. Entries a group makes later still take the task's original values.
An entry can change while it waits, or after it failed, timed out, was cancelled or discarded.`,
  options: [
    { names: ['-i', '--id'], value: 'ID', help: "the entry (PerQueue's spelling)" },
    { names: ['--args'], value: 'JSON', help: 'new arguments (a JSON object)' },
    { names: ['--resources'], value: 'R', help: "new resource string ('4:1h', '1:local:10m')" },
    { names: ['--code'], value: 'FILE', help: 'a new script' },
    { names: ['--retries'], value: 'N', help: 'automatic re-runs after a failure' },
    { names: ['--max-tries'], value: 'N', help: "a CyclicalGroup's limit (give the group or its gate)" },
    { names: ['--width'], value: 'N', help: "a DynamicWidthGroup's width, overriding pq_dwg_width" },
    { names: ['--all'], help: 'every entry of the same task that can still change' }
  ],
  positionals: [0, Infinity],
  async run(args) {
    const paths = projectFor(args, false);
    const word = args.positional[1];
    const perqueueForm = word !== undefined && WHAT[word] !== undefined;
    const { ids, body } = perqueueForm ? perqueueChange(args, WHAT[word]) : ownChange(args);
    const store = openStore(paths);
    const targets = args.flag('all') ? ids.flatMap(id => sameTask(store, id)) : ids;
    await daemon(paths);
    for (const id of [...new Set(targets)]) {
      await call(paths, 'POST', `/api/entries/${id}/modify`, body);
      out(`entry ${id} modified`);
    }
    return 0;
  }
};

type Body = { args?: unknown; resources?: string; code?: string; retries?: number; maxTries?: number; width?: number };

function ownChange(args: Args): { ids: number[]; body: Body } {
  const given = [...args.positional.slice(1), ...(args.opt('id') !== undefined ? [args.opt('id')!] : [])];
  if (given.length === 0) throw new UsageError('pql modify needs an entry id (or a|r|c -i ID, as pq modify)');
  const code = args.opt('code');
  const body: Body = {
    args: jsonOpt(args, 'args'),
    resources: args.opt('resources'),
    code: code !== undefined ? scriptPath(code) : undefined,
    retries: intOpt(args, 'retries'),
    maxTries: intOpt(args, 'max-tries'),
    width: intOpt(args, 'width')
  };
  if (Object.values(body).every(v => v === undefined)) {
    throw new UsageError(
      'pql modify needs --args, --resources, --code, --retries, --max-tries or --width (or a|r|c -i ID, as pq modify)'
    );
  }
  return { ids: given.map(raw => idArg(raw)), body };
}

function perqueueChange(args: Args, what: 'args' | 'resources' | 'code'): { ids: number[]; body: Body } {
  for (const other of ['args', 'resources', 'code', 'retries', 'max-tries', 'width']) {
    if (args.opt(other) !== undefined) {
      throw new UsageError(
        `pql modify ${args.positional[1]}: --${other} belongs to the other form ('pql modify ID --${other} ...')`
      );
    }
  }
  if (args.positional.length > 3)
    throw new UsageError(`pql modify ${args.positional[1]}: unexpected argument '${args.positional[3]}'`);
  const raw = args.opt('id');
  if (raw === undefined) throw new UsageError(`pql modify ${args.positional[1]}: which entry? give -i ID`);
  const id = idArg(raw);
  const input = args.positional[2];
  if (what === 'code') {
    if (input === undefined) throw new UsageError('pql modify c: give the new script: pql modify c FILE -i ID');
    return { ids: [id], body: { code: scriptPath(input) } };
  }
  const entry = currentEntry(args, id);
  if (what === 'args') {
    const text = input !== undefined ? readArgsFile(input) : edit(JSON.stringify(entry.args ?? {}, null, 4), '.json');
    let parsed: unknown;
    try {
      parsed = JSON.parse(withConstants(text));
    } catch (e) {
      throw new UsageError(
        `pql modify a: ${input ?? 'the edited text'} is not a JSON object of arguments: ${(e as Error).message}; nothing changed`
      );
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new UsageError(
        `pql modify a: ${input ?? 'the edited text'} must hold a JSON object of arguments; nothing changed`
      );
    }
    return { ids: [id], body: { args: parsed } };
  }
  const resources = (input ?? edit(entry.resources ?? '', '.txt')).trim();
  if (!resources) throw new UsageError('pql modify r: the resource string is empty; nothing changed');
  return { ids: [id], body: { resources } };
}

function currentEntry(args: Args, id: number): RtNode {
  const node = openStore(projectFor(args, false)).node(id);
  if (!node) throw new UsageError(`no entry ${id}`);
  return node;
}

function readArgsFile(file: string): string {
  if (!existsSync(file) || !statSync(file).isFile()) throw new UsageError(`pql modify a: no such file: ${file}`);
  return readFileSync(file, 'utf8');
}

function scriptPath(file: string): string {
  const path = resolve(file);
  if (!existsSync(path) || !statSync(path).isFile())
    throw new UsageError(`pql modify: the new script must be an existing file, got '${file}'`);
  return path;
}

/** PerQueue's loads_w_consts: constant names (quoted or not) stand for their values. */
function withConstants(text: string): string {
  const names = Object.keys(ALL_CONSTANTS).sort((a, b) => b.length - a.length);
  const pattern = new RegExp(`"?\\b(${names.join('|')})\\b"?`, 'g');
  return text.replace(pattern, (_m, name: string) => JSON.stringify((ALL_CONSTANTS as Record<string, unknown>)[name]));
}

/** Open the text in the user's editor and return what they saved. */
function edit(text: string, ext: string): string {
  const editor = process.env.VISUAL || process.env.EDITOR || 'vi';
  const dir = mkdtempSync(join(tmpdir(), 'pql-modify-'));
  const file = join(dir, `entry${ext}`);
  try {
    writeFileSync(file, `${text}\n`);
    // Through the shell: EDITOR may hold arguments ('code --wait').
    const r = spawnSync('/bin/sh', ['-c', `${editor} "$1"`, 'sh', file], { stdio: 'inherit' });
    if (r.error || r.status !== 0)
      throw new UsageError(`pql modify: the editor '${editor}' did not finish cleanly; nothing changed`);
    return readFileSync(file, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The entry and every other one of the same task that can still change (the Python API's rule). */
function sameTask(store: Store, id: number): number[] {
  const target = store.node(id);
  if (!target) return [id]; // the bridge names the missing entry
  const same = store
    .listNodes({ workflowId: target.workflowId })
    .filter(
      n =>
        n.id !== target.id &&
        EDITABLE.has(n.state) &&
        n.kind === target.kind &&
        n.name === target.name &&
        n.code === target.code &&
        JSON.stringify(n.args) === JSON.stringify(target.args) &&
        n.resources === target.resources
    )
    .map(n => n.id);
  return [id, ...same];
}
