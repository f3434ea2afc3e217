// `pql approve` / `pql reject`: a person completes a manual step.
import { actor, jsonOpt, type Command } from '../common.js';
import { postToEntries } from '../entry-action.js';

export const approve: Command = {
  name: 'approve',
  usage: 'approve ID... [--data JSON] [--by NAME]',
  summary: 'complete a manual step',
  options: [
    { names: ['--data'], value: 'JSON', help: "the step's result (a JSON object)" },
    { names: ['--by'], value: 'NAME', help: 'who approves (default: $USER)' }
  ],
  positionals: [1, Infinity],
  run: args => postToEntries(args, 'approve', () => ({ data: jsonOpt(args, 'data'), by: actor(args) }), 'approved')
};

export const reject: Command = {
  name: 'reject',
  usage: 'reject ID... [--reason TEXT] [--by NAME]',
  summary: 'reject a manual step',
  options: [
    { names: ['--reason'], value: 'TEXT', help: 'why (stored with the entry)' },
    { names: ['--by'], value: 'NAME', help: 'who rejects (default: $USER)' }
  ],
  positionals: [1, Infinity],
  run: args => postToEntries(args, 'reject', () => ({ reason: args.opt('reason') ?? '', by: actor(args) }), 'rejected')
};
