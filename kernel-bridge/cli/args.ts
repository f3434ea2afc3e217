// Command-line arguments, parsed strictly against the command's declared options: an option the
// command does not know is an error naming it and the command, never silently ignored.
// Accepted forms: `--name value`, `--name=value`, `-x value`, `-xvalue`, grouped short flags
// (`-Ce`), and `--` to end the options. A token like `-3` is a positional (a negative id).

export interface OptionSpec {
  /** Spellings, e.g. ['-s', '--states']; the first long one (else the first) is the canonical name. */
  names: string[];
  /** The value's placeholder in help (e.g. 'STATES'); absent for a flag. */
  value?: string;
  help: string;
}

export interface Args {
  /** The command at [0], then its positional arguments. */
  positional: string[];
  opt(name: string): string | undefined;
  /** Every value of an option given more than once (`-w 1 -w 2`), in order; opt() is the last. */
  all(name: string): string[];
  flag(name: string): boolean;
}

export class UsageError extends Error {}

/** Options every command accepts. */
export const GLOBAL_OPTIONS: OptionSpec[] = [
  {
    names: ['--project'],
    value: 'DIR',
    help: 'the project folder (default: the nearest .perqueue/ above, or $PQ_PROJECT)'
  },
  { names: ['-h', '--help'], help: "show the command's help" }
];

export function canonical(o: OptionSpec): string {
  return (o.names.find(n => n.startsWith('--')) ?? o.names[0]).replace(/^--?/, '');
}

/** Split `argv` after the command word into positionals, options and flags, or throw a UsageError. */
export function parseOptions(command: string, argv: string[], options: OptionSpec[], hint = ''): Args {
  const all = [...options, ...GLOBAL_OPTIONS];
  const bySpelling = new Map<string, OptionSpec>();
  for (const o of all) for (const n of o.names) bySpelling.set(n, o);
  const positional: string[] = [command];
  const opts = new Map<string, string>();
  const repeated = new Map<string, string[]>();
  const flags = new Set<string>();
  const where = `pql ${command}`;
  const unknown = (spelling: string) =>
    new UsageError(
      `${where}: unknown option '${spelling}' (it takes ${listOptions(options)}; see 'pql help ${command}')${hint}`
    );
  const set = (o: OptionSpec, value: string | undefined, spelling: string) => {
    if (o.value === undefined) {
      if (value !== undefined) throw new UsageError(`${where}: option '${spelling}' takes no value, got '${value}'`);
      flags.add(canonical(o));
    } else {
      if (value === undefined) throw new UsageError(`${where}: option '${spelling}' needs a value (${o.value})`);
      opts.set(canonical(o), value);
      repeated.set(canonical(o), [...(repeated.get(canonical(o)) ?? []), value]);
    }
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (a === '-' || !a.startsWith('-') || /^-\d/.test(a)) {
      positional.push(a);
      continue;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const spelling = eq >= 0 ? a.slice(0, eq) : a;
      const o = bySpelling.get(spelling);
      if (!o) throw unknown(spelling);
      let value = eq >= 0 ? a.slice(eq + 1) : undefined;
      if (value === undefined && o.value !== undefined && i + 1 < argv.length) value = argv[++i];
      set(o, value, spelling);
      continue;
    }
    // Short options: flags may be grouped (-Ce); one that takes a value takes the rest or the next token.
    for (let k = 1; k < a.length; k++) {
      const spelling = `-${a[k]}`;
      const o = bySpelling.get(spelling);
      if (!o) throw unknown(spelling);
      if (o.value === undefined) {
        set(o, undefined, spelling);
        continue;
      }
      let value: string | undefined = a.slice(k + 1).replace(/^=/, '');
      if (value === '') value = i + 1 < argv.length ? argv[++i] : undefined;
      set(o, value, spelling);
      break;
    }
  }
  return { positional, opt: n => opts.get(n), all: n => repeated.get(n) ?? [], flag: n => flags.has(n) };
}

function listOptions(options: OptionSpec[]): string {
  if (options.length === 0) return 'no options';
  return options.map(o => o.names.join('/')).join(', ');
}

const BEFORE_COMMAND = new Set(['-h', '--help', '-V', '--version']);

/** Split off the options that may come before the command word (--project, help, version). */
export function splitCommand(argv: string[]): { before: string[]; command: string | undefined; rest: string[] } {
  const before: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--project') {
      if (i + 1 >= argv.length) throw new UsageError("option '--project' needs a value (DIR)");
      before.push(a, argv[++i]);
    } else if (a.startsWith('--project=') || BEFORE_COMMAND.has(a)) {
      before.push(a);
    } else if (a.startsWith('-')) {
      throw new UsageError(`unknown option '${a}' before the command (see 'pql help')`);
    } else {
      return { before, command: a, rest: argv.slice(i + 1) };
    }
  }
  return { before, command: undefined, rest: [] };
}
