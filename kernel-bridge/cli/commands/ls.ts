// `pql ls`: entries, filtered as PerQueue's `pq ls` filters them.
import type { RtNode } from '../../../core/model.js';
import { ENTRY_STATES, type EntryState } from '../../../core/states.js';
import { table } from '../format.js';
import { entryJson, idArg, openStore, out, projectFor, type Command } from '../common.js';
import { matches, SELECTION_OPTIONS, selectionFrom } from '../selection.js';

export const ls: Command = {
  name: 'ls',
  aliases: ['list'],
  usage: 'ls [-w WF] [-s STATES] [-i IDS] [-m JOBIDS] [-n NAMES] [-C] [-e] [-d] [--json]',
  summary: 'entries (STATES: letters wqrsdftcxba or names, comma-separated)',
  details: `Filters combine: 'pql ls -n train.py -s f' lists the failed entries named train.py.
Columns: id, workflow, name, kind, state, pq_index, pq_iteration, attempt, job id, args, data
(hidden by -d) and, when some entry has one, the first line of its error (-e: all of it).
As in PerQueue, -i/-m take '42' or '3,7-9' and -n takes wildcards; PerQueue's state letter g
(goahead) is our q. Unlike 'pq ls', skipped entries (PerQueue's axed, x) are listed too.`,
  options: [
    { names: ['-w', '--workflow'], value: 'WF', help: 'only this workflow' },
    { names: ['-s', '--states'], value: 'STATES', help: "only these states: letters ('fb') or names ('failed,blocked')" },
    ...SELECTION_OPTIONS,
    { names: ['-C', '--count'], help: 'only the number of entries in each state' },
    { names: ['-e', '--show-errors'], help: 'the whole error message, not its first line' },
    { names: ['-d', '--hide-data'], help: 'leave out the data column' },
    { names: ['--json'], help: 'as JSON (with -C: counts per state)' },
  ],
  positionals: [0, 0],
  async run(args) {
    const store = openStore(projectFor(args, false));
    const wf = args.opt('workflow');
    const selection = selectionFrom(args, 'ls');
    let nodes = store.listNodes({ workflowId: wf !== undefined ? idArg(wf, 'workflow') : undefined, states: selection?.states });
    if (selection) nodes = nodes.filter((n) => matches(n, selection));
    const perState = countStates(nodes);
    if (args.flag('count')) {
      if (args.flag('json')) return out(perState), 0;
      return out(caption(perState, nodes.length)), 0;
    }
    if (args.flag('json')) return out(nodes.map(entryJson)), 0;
    out(listing(nodes, { data: !args.flag('hide-data'), fullErrors: args.flag('show-errors') }));
    out(caption(perState, nodes.length));
    return 0;
  },
};

function countStates(nodes: RtNode[]): Partial<Record<EntryState, number>> {
  const c: Partial<Record<EntryState, number>> = {};
  for (const n of nodes) c[n.state] = (c[n.state] ?? 0) + 1;
  return Object.fromEntries(ENTRY_STATES.filter((s) => c[s]).map((s) => [s, c[s]]));
}

/** PerQueue's caption: "succeeded: 3, failed: 1. Total: 4". */
function caption(perState: Partial<Record<EntryState, number>>, total: number): string {
  const parts = Object.entries(perState).map(([s, n]) => `${s}: ${n}`);
  return `${parts.length ? `${parts.join(', ')}. ` : ''}Total: ${total}`;
}

function listing(nodes: RtNode[], o: { data: boolean; fullErrors: boolean }): string {
  const errors = nodes.some((n) => n.error);
  const header = ['id', 'wf', 'name', 'kind', 'state', 'index', 'iter', 'try', 'job', 'args'];
  if (o.data) header.push('data');
  if (errors) header.push('error');
  const rows = nodes.map((n) => {
    const row: (string | number)[] = [
      n.id,
      n.workflowId,
      n.name,
      n.kind,
      n.state,
      n.index.length ? JSON.stringify(n.index) : '',
      n.iteration.length ? JSON.stringify(n.iteration) : '',
      n.attempt,
      n.jobId ?? '',
      n.args && Object.keys(n.args).length ? JSON.stringify(n.args) : '',
    ];
    if (o.data) row.push(n.data && Object.keys(n.data).length ? JSON.stringify(n.data) : '');
    if (errors) {
      const e = n.error ?? '';
      row.push(o.fullErrors ? e.replace(/\s*\n\s*/g, ' ⏎ ') : e.split('\n')[0].slice(0, 60));
    }
    return row;
  });
  return table(header, rows);
}
