// `pql init`: make a project (PerQueue: `pq init [--folder DIR] [-b sqlite]`).
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { initProject } from '../../project.js';
import { out, projectFor, UsageError, type Command } from '../common.js';

export const init: Command = {
  name: 'init',
  usage: 'init [--folder DIR]',
  summary: 'make a project in this folder (or DIR)',
  details: `PerQueue's 'pq init --folder DIR' is the same; '-b sqlite' is accepted (SQLite is the only store).
An existing project is kept as it is: init never replaces a database.`,
  options: [
    { names: ['--folder'], value: 'DIR', help: 'where to make the project (default: here)' },
    { names: ['-b', '--backend'], value: 'KIND', help: "the store: only 'sqlite'" }
  ],
  positionals: [0, 0],
  async run(args) {
    const backend = args.opt('backend');
    if (backend !== undefined && backend !== 'sqlite') {
      throw new UsageError(
        `pql init: backend '${backend}' is not available: a project's store is always SQLite ('-b sqlite')`
      );
    }
    const folder = args.opt('folder');
    if (folder !== undefined && !(existsSync(folder) && statSync(folder).isDirectory())) {
      throw new UsageError(`pql init: --folder '${folder}' is not a directory`);
    }
    const p = folder !== undefined ? initProject(resolve(folder)) : projectFor(args, true);
    out(`PerQueue Lab project in ${p.root}`);
    return 0;
  }
};
