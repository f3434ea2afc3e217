// `pql complete|discard|fail ID...`: PerQueue's PersistentQueue.complete / discard / fail, a task
// entry's result set by hand; what waits below it follows (goes ahead, is skipped, is blocked).
import { jsonOpt, type Command } from '../common.js';
import { postToEntries } from '../entry-action.js';

export const complete: Command = {
  name: 'complete',
  usage: 'complete ID... [--data JSON]',
  summary: 'mark task entries succeeded with that data; what waits below them goes ahead',
  details: `For an entry that is waiting, blocked, failed, timed out, cancelled, discarded or skipped;
an entry with a job queued or running must be cancelled first.`,
  options: [{ names: ['--data'], value: 'JSON', help: 'the result (a JSON object; default {})' }],
  positionals: [1, Infinity],
  run: args => postToEntries(args, 'complete', () => ({ data: jsonOpt(args, 'data') ?? null }), 'completed')
};

export const discard: Command = {
  name: 'discard',
  usage: 'discard ID... [--data JSON]',
  summary: 'mark task entries discarded; what waits below them is skipped',
  options: [{ names: ['--data'], value: 'JSON', help: 'the data kept on the entry (a JSON object)' }],
  positionals: [1, Infinity],
  run: args => postToEntries(args, 'discard', () => ({ data: jsonOpt(args, 'data') ?? null }), 'discarded')
};

export const fail: Command = {
  name: 'fail',
  usage: 'fail ID... [--error TEXT]',
  summary: 'mark task entries failed; what waits below them is blocked until they are retried',
  options: [{ names: ['--error'], value: 'TEXT', help: 'the error text kept on the entry' }],
  positionals: [1, Infinity],
  run: args => postToEntries(args, 'fail', () => ({ error: args.opt('error') ?? null }), 'failed')
};
