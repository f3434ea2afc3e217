// `pql complete|discard|fail ID...`: PerQueue's PersistentQueue.complete / discard / fail, a task
// entry's result set by hand; what waits below it follows (goes ahead, is skipped, is blocked).
import { jsonOpt } from '../common.js';
import { entryAction } from '../entry-action.js';

export const complete = entryAction({
  name: 'complete',
  summary: 'mark task entries succeeded with that data; what waits below them goes ahead',
  details: `For an entry that is waiting, blocked, failed, timed out, cancelled, discarded or skipped;
an entry with a job queued or running must be cancelled first.`,
  options: [{ names: ['--data'], value: 'JSON', help: 'the result (a JSON object; default {})' }],
  body: args => ({ data: jsonOpt(args, 'data') ?? null }),
  done: 'completed'
});

export const discard = entryAction({
  name: 'discard',
  summary: 'mark task entries discarded; what waits below them is skipped',
  options: [{ names: ['--data'], value: 'JSON', help: 'the data kept on the entry (a JSON object)' }],
  body: args => ({ data: jsonOpt(args, 'data') ?? null }),
  done: 'discarded'
});

export const fail = entryAction({
  name: 'fail',
  summary: 'mark task entries failed; what waits below them is blocked until they are retried',
  options: [{ names: ['--error'], value: 'TEXT', help: 'the error text kept on the entry' }],
  body: args => ({ error: args.opt('error') ?? null }),
  done: 'failed'
});
