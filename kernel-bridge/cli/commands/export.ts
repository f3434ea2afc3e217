// `pql export -w WF [-w WF2 ...] [-o FILE] [--with-logs]`: one self-contained SQLite file of some
// workflows, made by the running bridge (a consistent snapshot, WAL included), that the
// JupyterLab archive viewer opens by double-click.
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { call } from '../../api/client.js';
import { daemon, idArg, jsonFlag, out, projectFor, UsageError, workflowOption, type Command } from '../common.js';

export const ARCHIVE_EXTENSION = '.pqarchive';

export const exportCommand: Command = {
  name: 'export',
  usage: 'export -w WF [-w WF2 ...] [-o FILE] [--with-logs] [--force]',
  summary: 'write workflows to one archive file (SQLite) that JupyterLab opens read-only',
  details: `pql export -w 3                       workflow 3 to ./<name>-3${ARCHIVE_EXTENSION}
pql export -w 3 -w 4 -o run.pqarchive  two workflows in one file
--with-logs adds every run's stdout and stderr (a 'logs' table), so the file stays self-contained.
The file is a consistent snapshot made while the workflows run; it holds nothing of other workflows.`,
  options: [
    workflowOption('a workflow to export (repeat for more, or give more as arguments)'),
    {
      names: ['-o', '--output'],
      value: 'FILE',
      help: `the file to write (default: <name>-<id>${ARCHIVE_EXTENSION} here)`
    },
    { names: ['--with-logs'], help: "include the run folders' stdout and stderr" },
    { names: ['--force'], help: 'replace FILE if it exists' },
    jsonFlag('print what was written as JSON')
  ],
  positionals: [0, Infinity],
  async run(args) {
    const given = [...args.all('workflow'), ...args.positional.slice(1)];
    if (given.length === 0) throw new UsageError('pql export needs -w WF (the workflows to export)');
    const ids = given.map(raw => idArg(raw, 'workflow'));
    const paths = projectFor(args, false);
    await daemon(paths);
    const r = await call<{
      workflows: { id: number; name: string; entries: number }[];
      logs: number;
      size: number;
      content: string;
    }>(paths, 'POST', '/api/export', { workflows: ids, withLogs: args.flag('with-logs') });
    const file = resolve(args.opt('output') ?? defaultName(r.workflows));
    if (existsSync(file) && !args.flag('force'))
      throw new UsageError(`${file} exists: choose another -o FILE or add --force`);
    // Written beside and renamed, so a reader never sees half a file.
    const part = `${file}.part`;
    writeFileSync(part, Buffer.from(r.content, 'base64'));
    renameSync(part, file);
    if (args.flag('json')) out({ file, size: r.size, workflows: r.workflows, logs: r.logs });
    else {
      const what = r.workflows.map(w => `${w.id} ('${w.name}', ${w.entries} entries)`).join(', ');
      out(
        `exported workflow${r.workflows.length > 1 ? 's' : ''} ${what}${args.flag('with-logs') ? ` with ${r.logs} logs` : ''} to ${file}`
      );
    }
    return 0;
  }
};

function defaultName(workflows: { id: number; name: string }[]): string {
  const first = workflows[0];
  const safe = first.name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[.]+/, '') || 'workflow';
  return `${safe}-${workflows.map(w => w.id).join('-')}${ARCHIVE_EXTENSION}`;
}
