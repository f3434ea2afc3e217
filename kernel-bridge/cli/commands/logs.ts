// `pql logs ID`: an entry's stdout or stderr, optionally followed while it runs.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { idArg, openStore, projectFor, UsageError, type Command } from '../common.js';
import { daemonNotice } from '../daemon-notice.js';

export const logs: Command = {
  name: 'logs',
  usage: 'logs ID [--stderr] [-f|--follow]',
  summary: "an entry's stdout (or stderr)",
  options: [
    { names: ['--stderr'], help: 'stderr instead of stdout' },
    { names: ['-f', '--follow'], help: 'keep printing until the entry stops running' },
  ],
  positionals: [1, 1],
  async run(args) {
    const paths = projectFor(args, false);
    const id = idArg(args.positional[1]);
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
    for (let turn = 1; ; turn++) {
      await new Promise((r) => setTimeout(r, 300));
      print();
      const store = openStore(paths);
      const now = store.node(id)!;
      store.close();
      if (!['waiting', 'queued', 'running'].includes(now.state)) return print(), 0;
      // A bridge that died while we follow would leave the entry running for ever: say so, start it.
      if (turn % 10 === 0) await daemonNotice(paths, process.argv[1]);
    }
  },
};
