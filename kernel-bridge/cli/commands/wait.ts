// `pql wait WF`: until the workflow stops changing; the exit code says how it ended.
import { workflowState } from '../../../core/states.js';
import { BridgeError, call, isDaemonUp } from '../../api/client.js';
import type { WorkflowSummary } from '../../store/store.js';
import { counts, idArg, openStore, out, projectFor, UsageError, workflowOption, type Command } from '../common.js';
import { daemonNotice } from '../daemon-notice.js';

export const wait: Command = {
  name: 'wait',
  usage: 'wait WF [--timeout SECONDS] [-q]',
  summary:
    'wait until the workflow stops changing; exit 1 if something failed, 3 if a manual step waits for a person, 2 on timeout',
  options: [
    workflowOption('the workflow (or give it as the argument)'),
    { names: ['--timeout'], value: 'SECONDS', help: 'give up after this long (exit 2)' },
    { names: ['-q', '--quiet'], help: 'print nothing when it settles' }
  ],
  positionals: [0, 1],
  async run(args) {
    const paths = projectFor(args, false);
    const wf = idArg(args.positional[1] ?? args.opt('workflow'), 'workflow');
    const rawTimeout = args.opt('timeout') ?? '0';
    if (!/^\d+(\.\d+)?$/.test(rawTimeout))
      throw new UsageError(`pql wait: --timeout must be a number of seconds, got '${rawTimeout}'`);
    const timeout = Number(rawTimeout) * 1000;
    const start = Date.now();
    // With a bridge running, it tells when the workflow settles (a long-poll that returns within
    // milliseconds of the last change); without one, read the store every 100 ms.
    let bridge = await isDaemonUp(paths);
    for (;;) {
      const left = timeout > 0 ? timeout - (Date.now() - start) : 60_000;
      let s: WorkflowSummary | undefined;
      if (bridge && left > 0) {
        const seconds = Math.max(0.05, Math.min(60, left / 1000));
        s = await call<WorkflowSummary>(paths, 'GET', `/api/workflows/${wf}/wait?timeout=${seconds}`).catch(e => {
          if (e instanceof BridgeError && e.status === 404) throw new UsageError(`no workflow ${wf}`);
          bridge = false; // the bridge went away: its jobs may still end, read the store instead
          return undefined;
        });
        if (!s) {
          // Nothing moves a workflow without its bridge: start it again (or say how).
          await daemonNotice(paths, process.argv[1]);
          bridge = await isDaemonUp(paths);
        }
      }
      if (!s) {
        const store = openStore(paths);
        s = store.workflowSummary(wf);
        store.close();
        if (!s) throw new UsageError(`no workflow ${wf}`);
      }
      const human = s.counts.awaiting_input ?? 0;
      if (workflowState(s.counts) !== 'running') {
        // Nothing moves without a person now: finished, failed, or waiting for an approval.
        const bad = (s.counts.failed ?? 0) + (s.counts.timed_out ?? 0) + (s.counts.blocked ?? 0);
        if (!args.flag('quiet')) out(`workflow ${wf}: ${counts(s)}${human ? ' (waiting for a person)' : ''}`);
        return bad > 0 ? 1 : human > 0 ? 3 : 0;
      }
      if (timeout > 0 && Date.now() - start >= timeout) {
        out(`workflow ${wf} still running after ${timeout / 1000} s: ${counts(s)}`);
        return 2;
      }
      if (!bridge) await new Promise(r => setTimeout(r, 100));
    }
  }
};
