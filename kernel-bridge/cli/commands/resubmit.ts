// `pql resubmit`: PerQueue's `pq resubmit`, a retry of the selected entries. With no selection it
// takes every failed and timed-out entry, as PerQueue does; -s and -n narrow that, -i or -m name
// entries directly (PerQueue then ignores -s and -n: here giving both is an error).
import { BridgeError, call } from '../../api/client.js';
import { daemon, openStore, out, projectFor, UsageError, type Command } from '../common.js';
import { matches, SELECTION_OPTIONS, selectionFrom, parseStateOption } from '../selection.js';

export const resubmit: Command = {
  name: 'resubmit',
  usage: 'resubmit [-i IDS | -m JOBIDS | [-n NAMES] [-s STATES]]',
  summary: "PerQueue's resubmit: retry the selected entries (default: every failed and timed-out one)",
  details: `pql resubmit                  every failed and timed-out entry (-s ft)
pql resubmit -i 4321          entry 4321          pql resubmit -i 10-20,25
pql resubmit -n code.py       failed and timed-out entries named code.py
pql resubmit -m 4523345       the entry whose scheduler job had that id
Each one is retried as 'pql retry' does; an entry that cannot be retried (it succeeded, say) is
named on stderr and the others go on (exit status 1).`,
  options: [
    ...SELECTION_OPTIONS,
    { names: ['-s', '--states'], value: 'STATES', help: 'with -n or alone: these states (default ft)' }
  ],
  positionals: [0, 0],
  async run(args) {
    if (args.opt('id') !== undefined && args.opt('mq-id') !== undefined) {
      throw new UsageError('pql resubmit: give entry ids (-i) or job ids (-m), not both');
    }
    const direct = args.opt('id') !== undefined || args.opt('mq-id') !== undefined;
    if (direct && (args.opt('states') !== undefined || args.opt('name') !== undefined)) {
      throw new UsageError('pql resubmit: -i and -m name the entries themselves: -s and -n do not apply with them');
    }
    const selection = selectionFrom(args, 'resubmit') ?? {};
    if (!direct && !selection.states) selection.states = parseStateOption('ft', 'resubmit');
    const paths = projectFor(args, false);
    const store = openStore(paths);
    const targets = store.listNodes({ states: selection.states }).filter(n => matches(n, selection));
    store.close();
    if (targets.length === 0) return (out('nothing to resubmit'), 0);
    await daemon(paths);
    let refused = 0;
    for (const n of targets) {
      try {
        await call(paths, 'POST', `/api/entries/${n.id}/retry`, { environment: process.env });
        out(`entry ${n.id} ('${n.name}') queued again`);
      } catch (e) {
        if (!(e instanceof BridgeError)) throw e;
        process.stderr.write(`pql resubmit: entry ${n.id}: ${e.message}\n`);
        refused++;
      }
    }
    return refused > 0 ? 1 : 0;
  }
};
