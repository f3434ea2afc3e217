// `pql retry ID...`: run entries again.
import { call } from '../../api/client.js';
import { daemon, idArg, out, projectFor, type Command } from '../common.js';

export const retry: Command = {
  name: 'retry',
  usage: 'retry ID...',
  summary:
    "run failed/timed-out/cancelled/discarded entries again (what is below them resumes), with this command's environment",
  options: [],
  positionals: [1, Infinity],
  async run(args) {
    const ids = args.positional.slice(1).map(raw => idArg(raw));
    const paths = await daemon(projectFor(args, false));
    for (const id of ids) {
      // The workflow's runs from now on get this command's environment, as a resubmission with sbatch would.
      await call(paths, 'POST', `/api/entries/${id}/retry`, { environment: process.env });
      out(`entry ${id} queued again`);
    }
    return 0;
  }
};
