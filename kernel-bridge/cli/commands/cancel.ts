// `pql cancel`: stop entries and what is below them, or a whole workflow.
import { call } from '../../api/client.js';
import { daemon, idArg, out, projectFor, UsageError, workflowOption, type Command } from '../common.js';

export const cancel: Command = {
  name: 'cancel',
  usage: 'cancel ID... | -w WF',
  summary: 'cancel entries (and what is below) or a whole workflow',
  options: [workflowOption('the whole workflow')],
  positionals: [0, Infinity],
  async run(args) {
    const wfText = args.opt('workflow');
    const ids = args.positional.slice(1);
    if (wfText !== undefined && ids.length) throw new UsageError('pql cancel: give entry ids or -w WF, not both');
    if (wfText === undefined && ids.length === 0) throw new UsageError('pql cancel needs entry ids or -w WF');
    const parsed = ids.map(raw => idArg(raw));
    const wf = wfText !== undefined ? idArg(wfText, 'workflow') : undefined;
    const paths = await daemon(projectFor(args, false));
    if (wf !== undefined) {
      const r = await call<{ cancelled: number[] }>(paths, 'POST', `/api/workflows/${wf}/cancel`);
      out(`workflow ${wf} cancelled (${r.cancelled.length} running or queued jobs stopped)`);
      return 0;
    }
    for (const id of parsed) {
      await call(paths, 'POST', `/api/entries/${id}/cancel`);
      out(`entry ${id} cancelled`);
    }
    return 0;
  }
};
