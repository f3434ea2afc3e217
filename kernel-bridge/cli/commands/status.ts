// `pql status`: one line per workflow.
import { table } from '../format.js';
import { counts, jsonFlag, openStore, out, projectFor, type Command } from '../common.js';

export const status: Command = {
  name: 'status',
  usage: 'status [--json]',
  summary: 'one line per workflow with counts per state',
  options: [jsonFlag()],
  positionals: [0, 0],
  async run(args) {
    const store = openStore(projectFor(args, false));
    const rows = store.workflowSummaries();
    if (args.flag('json')) return (out(rows), 0);
    out(
      table(
        ['wf', 'name', 'entries', 'states'],
        rows.map(s => [s.id, s.name, s.total, counts(s)])
      )
    );
    return 0;
  }
};
