// `pql info`: which project and store the commands act on (PerQueue: `pq info`).
import { existsSync } from 'node:fs';
import { daemonInfo } from '../../api/client.js';
import { jsonFlag, out, projectFor, type Command } from '../common.js';
import { Store } from '../../store/store.js';

export const info: Command = {
  name: 'info',
  usage: 'info [--json]',
  summary: 'the active project: its folder, database, bridge, workflows and entries',
  details:
    "PerQueue's 'pq info' shows the active queue's type, path and number of entries; this shows the same and the bridge.",
  options: [jsonFlag()],
  positionals: [0, 0],
  async run(args) {
    const paths = projectFor(args, false);
    let workflows = 0;
    let entries = 0;
    if (existsSync(paths.db)) {
      const store = new Store(paths.db, { readonly: true });
      const rows = store.workflowSummaries();
      workflows = rows.length;
      entries = rows.reduce((sum, s) => sum + s.total, 0);
      store.close();
    }
    const facts = {
      project: paths.root,
      type: 'sqlite',
      database: paths.db,
      workflows,
      entries,
      bridge: (await daemonInfo(paths))?.pid ?? null
    };
    if (args.flag('json')) return (out(facts), 0);
    out(
      [
        'Active PerQueue Lab project:',
        `    Path: ${paths.root}/`,
        `    Type: sqlite (${existsSync(paths.db) ? paths.db : `${paths.db}, not made yet`})`,
        `    Workflows: ${workflows}`,
        `    Entries: ${entries}`,
        `    Bridge: ${facts.bridge !== null ? `running (pid ${facts.bridge})` : 'not running'}`
      ].join('\n')
    );
    return 0;
  }
};
