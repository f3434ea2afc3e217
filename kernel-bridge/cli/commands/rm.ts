// `pql rm`: remove whole workflows with their run folders.
// PerQueue's `pq rm -i/-m/-n/-s` removes the selected entries and everything that depends on
// them. Here an entry cannot leave the graph it is part of, so a selection removes the workflows
// it removes entirely (it holds their first entries, so everything below is removed too) and
// refuses, removing nothing, when it would cut a workflow in part.
import type { RtNode } from '../../../core/model.js';
import { call } from '../../api/client.js';
import type { Store } from '../../store/store.js';
import { daemon, idArg, openStore, out, projectFor, UsageError, workflowOption, type Command } from '../common.js';
import { matches, SELECTION_OPTIONS, selectionFrom } from '../selection.js';

export const rm: Command = {
  name: 'rm',
  aliases: ['remove'],
  usage: 'rm -w WF... [--keep-files] | rm -i IDS | -m JOBIDS | -n NAMES | -s STATES',
  summary:
    'remove finished, failed or cancelled workflows from the project with their run folders (human-step notebooks stay)',
  details: `pql rm -w 3 4                 workflows 3 and 4
pql rm -i 42                  PerQueue's spelling: entry 42 and everything that depends on it,
                              which must be its whole workflow (42 is where it starts)
A selection (-i, -m, -n, -s, as in 'pql ls') must cover the first entries of each workflow it
touches: PerQueue Lab removes whole workflows only. To stop part of a workflow, 'pql cancel ID'.
A workflow that is still running is not removed.`,
  options: [
    workflowOption('a workflow to remove (more as arguments)'),
    ...SELECTION_OPTIONS,
    { names: ['-s', '--states'], value: 'STATES', help: 'entries in these states (as in ls)' },
    { names: ['--keep-files'], help: "keep the workflows' run folders" }
  ],
  positionals: [0, Infinity],
  async run(args) {
    const given = [args.opt('workflow'), ...args.positional.slice(1)].filter((x): x is string => x !== undefined);
    const selection = selectionFrom(args, 'rm');
    if (selection && given.length)
      throw new UsageError('pql rm: give workflows (-w WF) or a selection of entries (-i, -m, -n, -s), not both');
    if (!selection && given.length === 0) {
      throw new UsageError('pql rm needs -w WF (the workflows to remove) or a selection of entries (-i, -m, -n, -s)');
    }
    const paths = projectFor(args, false);
    let ids: number[];
    if (selection) {
      const store = openStore(paths);
      const chosen = store.listNodes({ states: selection.states }).filter(n => matches(n, selection));
      if (chosen.length === 0) return (out('nothing selected: no workflow removed'), 0);
      ids = wholeWorkflows(store, chosen);
      store.close();
    } else {
      ids = given.map(raw => idArg(raw, 'workflow'));
    }
    await daemon(paths);
    for (const wf of ids) {
      const r = await call<{
        name: string;
        entries: number;
        filesRemoved: boolean;
        filesProblem?: string;
        runDir: string;
      }>(paths, 'POST', `/api/workflows/${wf}/remove`, { keepFiles: args.flag('keep-files') });
      const files = r.filesRemoved
        ? 'and its run folders'
        : r.filesProblem
          ? `but not all of ${r.runDir}: ${r.filesProblem}`
          : `(run folders kept in ${r.runDir})`;
      out(`workflow ${wf} ('${r.name}') removed: ${r.entries} entries ${files}`);
    }
    return 0;
  }
};

/** The workflows the chosen entries and their dependents make up entirely; throws if one is cut in part. */
function wholeWorkflows(store: Store, chosen: RtNode[]): number[] {
  const byWorkflow = new Map<number, RtNode[]>();
  for (const n of chosen) {
    if (!byWorkflow.has(n.workflowId)) byWorkflow.set(n.workflowId, []);
    byWorkflow.get(n.workflowId)!.push(n);
  }
  for (const [wf, picked] of byWorkflow) {
    const nodes = store.nodesOf(wf);
    const reached = dependents(store, wf, nodes, picked);
    if (reached.size < nodes.length) {
      const first = picked[0];
      throw new UsageError(
        `pql rm: entry ${first.id} ('${first.name}') of workflow ${wf} does not start it, and PerQueue Lab removes whole workflows only: ` +
          `select its first entries or use 'pql rm -w ${wf}'; 'pql cancel ${first.id}' stops the entry and what is below it. Nothing was removed.`
      );
    }
  }
  return [...byWorkflow.keys()];
}

/** The picked entries, everything below them, and the members of groups among them. */
function dependents(store: Store, wf: number, nodes: RtNode[], picked: RtNode[]): Set<number> {
  const children = new Map<number, number[]>();
  const link = (parent: number, child: number) => {
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent)!.push(child);
  };
  for (const e of store.edgesOf(wf)) link(e.parent, e.child);
  for (const n of nodes) {
    for (const owner of [n.groupId, n.cycleId]) if (owner !== null && owner !== undefined) link(owner, n.id);
  }
  const reached = new Set<number>();
  const todo = picked.map(n => n.id);
  while (todo.length) {
    const id = todo.pop()!;
    if (reached.has(id)) continue;
    reached.add(id);
    // One at a time: a group's placeholder can have 100,000 children, too many for push(...xs).
    for (const child of children.get(id) ?? []) todo.push(child);
  }
  return reached;
}
