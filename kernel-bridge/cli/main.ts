// `pql`: the command line. Commands that change something go through the project's daemon
// (started on demand, so a submission alone gets its workflow run); commands that only read
// open the SQLite file read-only, so they work with or without a daemon. Each command is a
// module in commands/ declaring its options; an option a command does not declare is an error.
// PerQueue's `pq` verbs and flags are understood with their meaning (see docs/guide/cli.md).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { mapScriptPaths, resolveScriptPath } from '../../core/scriptPaths.js';
import type { NodeSpec } from '../../core/spec.js';
import { call, BridgeError } from '../api/client.js';
import { UnsafeProjectError } from '../project.js';
import { VERSION } from '../version.js';
import { canonical, GLOBAL_OPTIONS, parseOptions, splitCommand, UsageError, type Args } from './args.js';
import { daemon, out, parseJsonText, projectFor, type Command } from './common.js';
import { daemonNotice } from './daemon-notice.js';
import { printable } from './format.js';
import { approve, reject } from './commands/approve.js';
import { cancel } from './commands/cancel.js';
import { config } from './commands/config.js';
import { daemonCommand } from './commands/daemon.js';
import { doctor } from './commands/doctor.js';
import { exportCommand } from './commands/export.js';
import { info } from './commands/info.js';
import { init } from './commands/init.js';
import { inspect } from './commands/inspect.js';
import { logs } from './commands/logs.js';
import { ls } from './commands/ls.js';
import { modify } from './commands/modify.js';
import { report } from './commands/report.js';
import { resubmit } from './commands/resubmit.js';
import { retry } from './commands/retry.js';
import { rm } from './commands/rm.js';
import { complete, discard, fail } from './commands/settle.js';
import { show } from './commands/show.js';
import { status } from './commands/status.js';
import { wait } from './commands/wait.js';

/**
 * A spec file may name scripts relative to its own folder, as the graphical builder writes them
 * (`train.py`, `../shared/prep.py`): they are made absolute from that folder.
 */
function withPathsFrom(folder: string, spec: unknown): unknown {
  const root = (spec as { root?: unknown } | null)?.root;
  if (root && typeof root === 'object') {
    mapScriptPaths(root as NodeSpec, stored => resolveScriptPath(stored, folder));
  }
  return spec;
}

/** What `pql submit` takes, by how the file's name ends. */
const SCRIPT_EXTENSIONS = ['.py'];
const JSON_SPEC_EXTENSIONS = ['.json', '.pqwf'];
const MODULE_EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts', '.mts'];

function hasExtension(path: string, extensions: string[]): boolean {
  return extensions.includes(extname(path).toLowerCase());
}

async function loadSpec(file: string, args: Args): Promise<unknown> {
  if (file === '-') return parseJsonText(readFileSync(0, 'utf8'), 'the spec on stdin');
  const path = resolve(file);
  if (!existsSync(path)) throw new UsageError(`no such file: ${file}`);
  // `.pqwf` is the builder's document without the `.json`: the same JSON.
  if (hasExtension(path, JSON_SPEC_EXTENSIONS)) {
    return withPathsFrom(dirname(path), parseJsonText(readFileSync(path, 'utf8'), file));
  }
  if (!hasExtension(path, MODULE_EXTENSIONS)) {
    throw new UsageError(
      `cannot submit ${file}: pql submit takes a submission script (${SCRIPT_EXTENSIONS.join(', ')}), ` +
        `a JSON spec (${JSON_SPEC_EXTENSIONS.join(', ')}) or a module (${MODULE_EXTENSIONS.join(', ')})`
    );
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
  if (!file) {
    throw new UsageError('submit needs a file: a .py submission script, a .json or .pqwf spec or a TS/JS module');
  }
  if (extname(file) === '.py' && !args.opt('spec')) {
    // A Python submission script submits through the Python API, which calls `pql submit --spec -`.
    // It runs with the `perqueue` import alias, so a script written for PerQueue runs unchanged.
    const python = process.env.PQ_PYTHON || 'python3';
    const r = spawnSync(python, ['-m', 'perqueue_lab.alias', resolve(file), ...args.positional.slice(2)], {
      stdio: 'inherit',
      env: { ...process.env, PQ_PROJECT: paths.root }
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
    // The tasks run with this command's environment and in its folder (or --cwd's), as sbatch's do.
    environment: process.env,
    cwd: resolve(args.opt('cwd') ?? process.cwd())
  });
  if (args.flag('json')) out(result);
  else out(`submitted workflow ${result.workflowId} (${result.entries} entries so far)`);
  return 0;
}

const submitCommand: Command = {
  name: 'submit',
  usage: 'submit FILE [--name N] [--json] | submit --spec FILE|-',
  summary:
    'submit a workflow: a Python submission script (.py), a JSON spec (.json, .pqwf or stdin), or a TS/JS module (default export)',
  details: `A .py script runs with this project's Python, with 'perqueue' imports answered by
perqueue_lab (a PerQueue script runs unchanged); arguments after '--' go to the script
('pql submit pq_submit.py -- --size 5'). The tasks run with this command's environment and in
its current folder (docs/guide/environment.md).`,
  options: [
    { names: ['--name'], value: 'N', help: "the workflow's name (JSON specs and modules)" },
    { names: ['--spec'], value: 'FILE', help: "a JSON spec (.json, .pqwf), '-' for stdin" },
    { names: ['--python'], value: 'PY', help: 'the Python interpreter for Python tasks' },
    { names: ['--cwd'], value: 'DIR', help: 'the folder the tasks run in (default: the current one)' },
    { names: ['--json'], help: 'print the result as JSON' }
  ],
  unknownOptionHint: "; options for a submission script go after '--': pql submit script.py -- --size 5",
  positionals: [0, Infinity],
  run: submit
};

const helpCommand: Command = {
  name: 'help',
  usage: 'help [COMMAND]',
  summary: 'this text, or one command in detail',
  options: [],
  positionals: [0, 1],
  run: async args => (out(args.positional[1] ? commandHelp(lookup(args.positional[1])) : overview()), 0)
};

const COMMANDS: Command[] = [
  init,
  info,
  submitCommand,
  status,
  ls,
  show,
  inspect,
  logs,
  wait,
  retry,
  resubmit,
  complete,
  discard,
  fail,
  cancel,
  rm,
  exportCommand,
  report,
  modify,
  approve,
  reject,
  daemonCommand,
  doctor,
  config,
  helpCommand
];

/** `pq` command lines and what they are here (shown by `pql help`). */
const FROM_PERQUEUE: [string, string][] = [
  ['pq info', 'pql info'],
  ['pq init [--folder DIR]', 'pql init [--folder DIR]'],
  ['pq ls|list [-i IDS] [-m MQIDS] [-n NAMES] [-s STATES] [-C] [-e] [-d]', 'the same'],
  ['pq inspect ID [-k] [-H]', 'the same, as text'],
  ['pq modify a|r|c [INPUT] -i ID [--all]', 'the same (also pql modify ID --args/--resources/--code)'],
  ['pq resubmit [-i IDS | -m MQIDS | -n NAMES -s STATES]', 'the same (pql retry ID...)'],
  ['pq rm|remove -i IDS | -m MQIDS | -n NAMES | -s STATES', 'the same for whole workflows (pql rm -w WF)'],
  ['pq help [CMD], pq -V', 'pql help [CMD], pql -V']
];

function lookup(name: string): Command {
  const cmd = COMMANDS.find(c => c.name === name || c.aliases?.includes(name));
  if (!cmd) throw new UsageError(`unknown command '${name}' (see 'pql help')`);
  return cmd;
}

function overview(): string {
  const lines = [
    `pql ${VERSION} — PerQueue Lab workflows from the command line`,
    '',
    'Usage: pql <command> [options]          (--project DIR picks the project; default: nearest .perqueue/ above)',
    ''
  ];
  for (const c of COMMANDS) {
    const names = [c.name, ...(c.aliases ?? [])].join('|');
    lines.push(`  ${names.padEnd(10)} ${c.summary}`);
  }
  lines.push(
    '',
    "PerQueue's pq commands (states: PerQueue's letters wqrsdxft, g = q; ids: entry ids; MQ ids: scheduler job ids):"
  );
  const width = Math.max(...FROM_PERQUEUE.map(([pq]) => pq.length));
  for (const [pq, pql] of FROM_PERQUEUE) lines.push(`  ${pq.padEnd(width)}  ${pql}`);
  lines.push(
    '',
    "'pql help COMMAND' or 'pql COMMAND --help' shows a command's options; an option a command does not take is an error."
  );
  return `${lines.join('\n')}\n`;
}

function commandHelp(c: Command): string {
  const lines = [`pql ${c.usage.replace(/\n\s*/g, '\n    pql ')}`, '', c.summary];
  if (c.aliases?.length) lines.push(`(also: ${c.aliases.map(a => `pql ${a}`).join(', ')})`);
  if (c.details) lines.push('', c.details);
  const options = [...c.options, ...GLOBAL_OPTIONS];
  lines.push('', 'Options:');
  for (const o of options)
    lines.push(`  ${`${o.names.join(', ')}${o.value ? ` ${o.value}` : ''}`.padEnd(24)} ${o.help}`);
  return `${lines.join('\n')}\n`;
}

/** Commands that show the store's state: a bridge that is down is said (and started) first. */
const READS_STATE = new Set(['status', 'ls', 'show', 'inspect', 'logs', 'wait']);

async function noticeDaemon(args: Args): Promise<void> {
  let paths;
  try {
    paths = projectFor(args, false);
  } catch {
    return; // the command itself says there is no project
  }
  await daemonNotice(paths, process.argv[1]);
}

export async function main(argv: string[]): Promise<number> {
  const { before, command, rest } = splitCommand(argv);
  if (before.includes('-V') || before.includes('--version') || command === 'version') return (out(VERSION), 0);
  if (!command) return (out(overview()), 0);
  const cmd = lookup(command);
  if (before.includes('-h') || before.includes('--help')) return (out(commandHelp(cmd)), 0);
  const args = parseOptions(command, [...before, ...rest], cmd.options, cmd.unknownOptionHint);
  if (args.flag(canonical(GLOBAL_OPTIONS[1]))) return (out(commandHelp(cmd)), 0);
  const given = args.positional.length - 1;
  const [fewest, most] = cmd.positionals;
  if (given > most) {
    throw new UsageError(
      `pql ${command}: unexpected argument '${args.positional[most + 1]}' (usage: pql ${cmd.usage.split('\n')[0]})`
    );
  }
  if (given < fewest) throw new UsageError(`pql ${command}: missing argument (usage: pql ${cmd.usage.split('\n')[0]})`);
  if (READS_STATE.has(cmd.name)) await noticeDaemon(args);
  return cmd.run(args);
}

// A reader that stops reading (`pql ls | head`) ends the listing quietly, as for any Unix tool.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

main(process.argv.slice(2)).then(
  code => {
    if (code >= 0) process.exitCode = code;
  },
  (e: unknown) => {
    const known = e instanceof UsageError || e instanceof BridgeError || e instanceof UnsafeProjectError;
    const msg = known ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e);
    process.stderr.write(`${msg.startsWith('pql ') ? '' : 'pql: '}${printable(msg)}\n`);
    process.exitCode = known ? 2 : 1;
  }
);
