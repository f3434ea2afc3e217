// What `pql approve|reject|complete|discard|fail ID...` share: the ids are checked, the bridge is
// started if need be, and each entry gets one POST and one line saying what became of it.
import { call } from '../api/client.js';
import { daemon, idArg, out, projectFor, type Args } from './common.js';

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
