// `pql approve` / `pql reject`: a person completes a manual step.
import { call } from '../../api/client.js';
import { actor, daemon, idArg, jsonOpt, out, projectFor, type Command } from '../common.js';

export const approve: Command = {
  name: 'approve',
  usage: 'approve ID... [--data JSON] [--by NAME]',
  summary: 'complete a manual step',
  options: [
    { names: ['--data'], value: 'JSON', help: "the step's result (a JSON object)" },
    { names: ['--by'], value: 'NAME', help: 'who approves (default: $USER)' },
  ],
  positionals: [1, Infinity],
  async run(args) {
    const ids = args.positional.slice(1).map((raw) => idArg(raw));
    const data = jsonOpt(args, 'data');
    const paths = await daemon(projectFor(args, false));
    for (const id of ids) {
      await call(paths, 'POST', `/api/entries/${id}/approve`, { data, by: actor(args) });
      out(`entry ${id} approved`);
    }
    return 0;
  },
};

export const reject: Command = {
  name: 'reject',
  usage: 'reject ID... [--reason TEXT] [--by NAME]',
  summary: 'reject a manual step',
  options: [
    { names: ['--reason'], value: 'TEXT', help: 'why (stored with the entry)' },
    { names: ['--by'], value: 'NAME', help: 'who rejects (default: $USER)' },
  ],
  positionals: [1, Infinity],
  async run(args) {
    const ids = args.positional.slice(1).map((raw) => idArg(raw));
    const paths = await daemon(projectFor(args, false));
    for (const id of ids) {
      await call(paths, 'POST', `/api/entries/${id}/reject`, { reason: args.opt('reason') ?? '', by: actor(args) });
      out(`entry ${id} rejected`);
    }
    return 0;
  },
};
