// `pql approve` / `pql reject`: a person completes a manual step.
import { actor, byOption, jsonOpt } from '../common.js';
import { entryAction } from '../entry-action.js';

export const approve = entryAction({
  name: 'approve',
  summary: 'complete a manual step',
  options: [{ names: ['--data'], value: 'JSON', help: "the step's result (a JSON object)" }, byOption('approves')],
  body: args => ({ data: jsonOpt(args, 'data'), by: actor(args) }),
  done: 'approved'
});

export const reject = entryAction({
  name: 'reject',
  summary: 'reject a manual step',
  options: [{ names: ['--reason'], value: 'TEXT', help: 'why (stored with the entry)' }, byOption('rejects')],
  body: args => ({ reason: args.opt('reason') ?? '', by: actor(args) }),
  done: 'rejected'
});
