// Command-line arguments: positionals, `--name value`, `--name=value`, `-x value` and flags.
const FLAGS = new Set(['json', 'follow', 'stderr', 'help', 'h', 'version', 'quiet', 'f', 'force', 'keep-files']);

export interface Args {
  positional: string[];
  opt(name: string): string | undefined;
  flag(name: string): boolean;
}

export function parseArgs(argv: string[]): Args {
  const positional: string[] = [];
  const opts = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-' || !a.startsWith('-')) {
      positional.push(a);
      continue;
    }
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    if (eq >= 0) {
      opts.set(body.slice(0, eq), body.slice(eq + 1));
    } else if (FLAGS.has(body)) {
      flags.add(body === 'f' ? 'follow' : body);
    } else if (i + 1 < argv.length) {
      opts.set(body, argv[++i]);
    } else {
      flags.add(body);
    }
  }
  return { positional, opt: (n) => opts.get(n), flag: (n) => flags.has(n) };
}
