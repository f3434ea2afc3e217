// `pql ls`: entries, filtered as PerQueue's `pq ls` filters them.
import type { RtNode } from '../../../core/model.js';
import { ENTRY_STATES, type EntryState } from '../../../core/states.js';
import { printable } from '../format.js';
import { entryJson, idArg, jsonFlag, openStore, out, projectFor, workflowOption, type Command } from '../common.js';
import { matches, SELECTION_OPTIONS, selectionFrom, type Selection } from '../selection.js';

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
    workflowOption('only this workflow'),
    {
      names: ['-s', '--states'],
      value: 'STATES',
      help: "only these states: letters ('fb') or names ('failed,blocked')"
    },
    ...SELECTION_OPTIONS,
    { names: ['-C', '--count'], help: 'only the number of entries in each state' },
    { names: ['-e', '--show-errors'], help: 'the whole error message, not its first line' },
    { names: ['-d', '--hide-data'], help: 'leave out the data column' },
    jsonFlag('as JSON (with -C: counts per state)')
  ],
  positionals: [0, 0],
  async run(args) {
    const store = openStore(projectFor(args, false));
    const wf = args.opt('workflow');
    const selection = selectionFrom(args, 'ls');
    const all = store.iterateNodes({
      workflowId: wf !== undefined ? idArg(wf, 'workflow') : undefined,
      states: selection?.states
    });
    // Read as printed: the first line of a million-entry listing comes at once, and memory
    // holds one chunk of rows at a time.
    const nodes = selection ? filtered(all, selection) : all;
    const counts = new StateCounts();
    if (args.flag('count')) {
      for (const n of nodes) counts.add(n);
      if (args.flag('json')) return (out(counts.perState()), 0);
      return (out(caption(counts)), 0);
    }
    if (args.flag('json')) {
      // A JSON array written element by element (one entry per line).
      let first = true;
      for (const n of nodes) {
        process.stdout.write(`${first ? '[' : ','}\n${JSON.stringify(entryJson(n))}`);
        first = false;
      }
      process.stdout.write(first ? '[]\n' : '\n]\n');
      return 0;
    }
    const o = { data: !args.flag('hide-data'), fullErrors: args.flag('show-errors') };
    let layout: TableLayout | undefined;
    for (const chunk of chunksOf(nodes, CHUNK)) {
      for (const n of chunk) counts.add(n);
      if (!layout) {
        // A listing that fits in one chunk shows the error column only when some entry has an
        // error; a longer one, read before it is known, always has it.
        const errors = chunk.length < CHUNK ? chunk.some(n => n.error) : true;
        layout = new TableLayout(header(o.data, errors));
        // Ids grow down the listing: their columns are as wide as the largest stored ones.
        const largest = store.largestIds();
        const rows = [...chunk.map(n => row(n, o, errors)), [String(largest.entry), String(largest.workflow)]];
        layout.fit(rows);
        write(`${layout.line(layout.header)}\n`);
        rows.pop();
        for (const r of rows) write(`${layout.line(r)}\n`);
        continue;
      }
      for (const n of chunk) write(`${layout.line(row(n, o, layout.header.includes('error')))}\n`);
    }
    if (!layout) write(`${new TableLayout(header(o.data, false)).line(header(o.data, false))}\n`);
    out(caption(counts));
    return 0;
  }
};

/** Rows of the table read and laid out this many at a time: the first ones size the columns. */
const CHUNK = 500;

function* filtered(nodes: Iterable<RtNode>, selection: Selection): Generator<RtNode> {
  for (const n of nodes) if (matches(n, selection)) yield n;
}

function* chunksOf<T>(items: Iterable<T>, size: number): Generator<T[]> {
  let chunk: T[] = [];
  for (const x of items) {
    chunk.push(x);
    if (chunk.length === size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

function write(text: string): void {
  process.stdout.write(printable(text));
}

/** Entries per state, in the order of ENTRY_STATES. */
class StateCounts {
  private readonly c: Partial<Record<EntryState, number>> = {};
  total = 0;

  add(n: RtNode): void {
    this.c[n.state] = (this.c[n.state] ?? 0) + 1;
    this.total++;
  }

  perState(): Partial<Record<EntryState, number>> {
    return Object.fromEntries(ENTRY_STATES.filter(s => this.c[s]).map(s => [s, this.c[s]]));
  }
}

/** Column widths taken from the first rows; a later, longer cell widens its column from there on. */
class TableLayout {
  private readonly widths: number[];

  constructor(readonly header: string[]) {
    this.widths = header.map(h => h.length);
  }

  fit(rows: string[][]): void {
    for (const r of rows) r.forEach((c, i) => (this.widths[i] = Math.max(this.widths[i] ?? 0, c.length)));
  }

  line(cells: string[]): string {
    this.fit([cells]);
    return cells
      .map((c, i) => c.padEnd(this.widths[i]))
      .join('  ')
      .trimEnd();
  }
}

/** PerQueue's caption: "succeeded: 3, failed: 1. Total: 4". */
function caption(counts: StateCounts): string {
  const parts = Object.entries(counts.perState()).map(([s, n]) => `${s}: ${n}`);
  return `${parts.length ? `${parts.join(', ')}. ` : ''}Total: ${counts.total}`;
}

function header(data: boolean, errors: boolean): string[] {
  const h = ['id', 'wf', 'name', 'kind', 'state', 'index', 'iter', 'try', 'job', 'args'];
  if (data) h.push('data');
  if (errors) h.push('error');
  return h;
}

/** One entry's cells, each one line (newlines and tabs shown as escapes). */
function row(n: RtNode, o: { data: boolean; fullErrors: boolean }, errors: boolean): string[] {
  const cells: (string | number)[] = [
    n.id,
    n.workflowId,
    n.name,
    n.kind,
    n.state,
    n.index.length ? JSON.stringify(n.index) : '',
    n.iteration.length ? JSON.stringify(n.iteration) : '',
    n.attempt,
    n.jobId ?? '',
    n.args && Object.keys(n.args).length ? JSON.stringify(n.args) : ''
  ];
  if (o.data) cells.push(n.data && Object.keys(n.data).length ? JSON.stringify(n.data) : '');
  if (errors) {
    const e = n.error ?? '';
    cells.push(o.fullErrors ? e.replace(/\s*\n\s*/g, ' ⏎ ') : e.split('\n')[0].slice(0, 60));
  }
  return cells.map(c => printable(String(c), false));
}
