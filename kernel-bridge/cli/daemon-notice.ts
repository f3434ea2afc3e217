// Before a command reads the store without the daemon: a store that says entries are queued or
// running while no bridge runs is stale (nothing moves them, and jobs that ended are not taken
// in), so the bridge is started (it recovers them first), or, with PQ_NO_AUTOSTART=1, the user
// is told how. With a bridge running, a paused or stopping bridge (full disk) is named.
import { existsSync } from 'node:fs';
import { daemonInfo, ensureDaemon } from '../api/client.js';
import type { ProjectPaths } from '../project.js';
import { Store } from '../store/store.js';

export async function daemonNotice(paths: ProjectPaths, cliScript: string): Promise<void> {
  if (!existsSync(paths.db)) return;
  // One request tells both that the bridge is up and how its store is.
  const v = await daemonInfo(paths);
  if (v) {
    if (v.storage && !v.storage.ok)
      process.stderr.write(`pql: the bridge is ${v.storage.fatal ? 'stopping' : 'paused'}: ${v.storage.message}\n`);
    return;
  }
  let active = 0;
  try {
    const store = new Store(paths.db, { readonly: true });
    active = store.countInStates(['queued', 'running']);
    store.close();
  } catch {
    return; // the command itself reports a store it cannot read
  }
  if (active === 0) return;
  if (process.env.PQ_NO_AUTOSTART === '1') {
    process.stderr.write(
      `pql: the bridge of ${paths.root} is not running: ${active} entries are recorded as queued or running, but nothing moves them ` +
        `and results that arrived are not taken in; start it with 'pql daemon start'\n`
    );
    return;
  }
  process.stderr.write(
    `pql: the bridge of ${paths.root} was not running (${active} entries queued or running): starting it\n`
  );
  await ensureDaemon(paths, cliScript);
}
