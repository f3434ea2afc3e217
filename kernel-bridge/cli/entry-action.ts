// What `pql approve|reject|complete|discard|fail ID...` share: the ids are checked, the bridge is
// started if need be, and each entry gets one POST and one line saying what became of it.
import { call } from '../api/client.js';
import { daemon, idArg, out, projectFor, type Args, type Command, type OptionSpec } from './common.js';

/** POST /api/entries/ID/`action` with `body()` for every ID argument; prints "entry ID `done`". */
export async function postToEntries(args: Args, action: string, body: () => object, done: string): Promise<number> {
  const ids = args.positional.slice(1).map(raw => idArg(raw));
  const payload = body();
  const paths = await daemon(projectFor(args, false));
  for (const id of ids) {
    await call(paths, 'POST', `/api/entries/${id}/${action}`, payload);
    out(`entry ${id} ${done}`);
  }
  return 0;
}

/**
 * The command `pql <name> ID... [options]`: `body` is what is posted for every ID (to
 * /api/entries/ID/<name>), `done` what became of the entry. The usage line lists the options.
 */
export function entryAction(c: {
  name: string;
  summary: string;
  details?: string;
  options: OptionSpec[];
  body: (args: Args) => object;
  done: string;
}): Command {
  const shown = c.options.map(o => `[${o.names[o.names.length - 1]}${o.value ? ` ${o.value}` : ''}]`);
  return {
    name: c.name,
    usage: [`${c.name} ID...`, ...shown].join(' '),
    summary: c.summary,
    ...(c.details === undefined ? {} : { details: c.details }),
    options: c.options,
    positionals: [1, Infinity],
    run: args => postToEntries(args, c.name, () => c.body(args), c.done)
  };
}
