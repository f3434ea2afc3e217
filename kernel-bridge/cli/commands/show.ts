// `pql show ID`: one entry with its inputs, outputs, error and log tails.
import type { RtNode } from '../../../core/model.js';
import { call, isDaemonUp } from '../../api/client.js';
import { readFacts } from '../../manager/cluster/facts.js';
import { parentDataFromStore } from '../../manager/parent-data.js';
import { tailLines } from '../../runner/results.js';
import { entryJson, idArg, jsonFlag, openStore, out, projectFor, UsageError, type Command } from '../common.js';

export const show: Command = {
  name: 'show',
  usage: 'show ID [--json]',
  summary: 'an entry: inputs, outputs, error, log tails',
  options: [jsonFlag()],
  positionals: [1, 1],
  async run(args) {
    const paths = projectFor(args, false);
    const id = idArg(args.positional[1]);
    let detail: { node: RtNode; input: unknown; runDir: string | null; parentData?: unknown };
    const store = openStore(paths);
    if (await isDaemonUp(paths)) {
      detail = await call(paths, 'GET', `/api/entries/${id}`);
    } else {
      const node = store.node(id);
      if (!node) throw new UsageError(`no entry ${id}`);
      detail = { node, input: null, runDir: null, parentData: parentDataFromStore(store, id) };
    }
    // The workflow's dependency edges (child -> parent), for PerQueue's get_dependency_graph.
    const edges = store.edgesOf(detail.node.workflowId).map(e => [e.child, e.parent]);
    const runDir = detail.runDir ?? `${paths.runs}/${detail.node.workflowId}/${detail.node.id}.${detail.node.attempt}`;
    const stdout = tailLines(`${runDir}/stdout`, 20, 4000);
    const stderr = tailLines(`${runDir}/stderr`, 20, 4000);
    if (args.flag('json')) return (out({ ...detail, entry: entryJson(detail.node), runDir, stdout, stderr, edges }), 0);
    const n = detail.node;
    out(
      [
        `entry ${n.id} '${n.name}' (${n.kind}) of workflow ${n.workflowId}: ${n.state}`,
        n.code ? `code: ${n.code}   resources: ${n.resources}   attempt: ${n.attempt}` : '',
        n.index.length ? `pq_index: ${JSON.stringify(n.index)}` : '',
        n.iteration.length ? `pq_iteration: ${JSON.stringify(n.iteration)}` : '',
        n.jobId ? jobLine(n, runDir) : '',
        `args: ${JSON.stringify(n.args)}`,
        detail.input ? `input: ${JSON.stringify((detail.input as { kwargs: unknown }).kwargs)}` : '',
        `output: ${JSON.stringify(n.data)}`,
        n.error ? `error: ${n.error}` : '',
        stdout ? `--- stdout (tail) ---\n${stdout.trimEnd()}` : '',
        stderr ? `--- stderr (tail) ---\n${stderr.trimEnd()}` : ''
      ]
        .filter(Boolean)
        .join('\n')
    );
    return 0;
  }
};

/** Where and when the entry's job ran, and how the scheduler saw it end. */
function jobLine(n: RtNode, runDir: string): string {
  const time = (t: number | null | undefined) =>
    t
      ? new Date(t)
          .toISOString()
          .replace('T', ' ')
          .replace(/\.\d+Z$/, 'Z')
      : '?';
  let line = `job: ${n.executor} ${n.jobId} on ${n.host ?? '?'}`;
  if (n.startedAt) line += `, started ${time(n.startedAt)}`;
  if (n.endedAt) line += `, ended ${time(n.endedAt)}`;
  const f = readFacts(runDir);
  if (f?.state) {
    line += `\n${f.executor} says: ${f.state}${f.exitCode !== undefined ? ` (exit code ${f.exitCode})` : ''}`;
    if (f.reason && f.reason.toLowerCase() !== f.state.replace('_', ' ')) line += ` — ${f.reason}`;
    if (f.resubmittedWith) line += `; resubmitted with ${f.resubmittedWith}`;
  }
  return line;
}
