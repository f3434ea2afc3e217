// `pql complete|discard|fail ID...`: PerQueue's PersistentQueue.complete / discard / fail, a task
// entry's result set by hand; what waits below it follows (goes ahead, is skipped, is blocked).
import { call } from '../../api/client.js';
import { daemon, idArg, jsonOpt, out, projectFor, type Command } from '../common.js';

export const complete: Command = {
  name: 'complete',
  usage: 'complete ID... [--data JSON]',
  summary: 'mark task entries succeeded with that data; what waits below them goes ahead',
  details: `For an entry that is waiting, blocked, failed, timed out, cancelled, discarded or skipped;
an entry with a job queued or running must be cancelled first.`,
  options: [{ names: ['--data'], value: 'JSON', help: 'the result (a JSON object; default {})' }],
  positionals: [1, Infinity],
  run: (args) => settle(args, 'complete', { data: jsonOpt(args, 'data') ?? null }, 'completed'),
};

export const discard: Command = {
  name: 'discard',
  usage: 'discard ID... [--data JSON]',
  summary: 'mark task entries discarded; what waits below them is skipped',
  options: [{ names: ['--data'], value: 'JSON', help: 'the data kept on the entry (a JSON object)' }],
  positionals: [1, Infinity],
  run: (args) => settle(args, 'discard', { data: jsonOpt(args, 'data') ?? null }, 'discarded'),
};

export const fail: Command = {
  name: 'fail',
  usage: 'fail ID... [--error TEXT]',
  summary: 'mark task entries failed; what waits below them is blocked until they are retried',
  options: [{ names: ['--error'], value: 'TEXT', help: 'the error text kept on the entry' }],
  positionals: [1, Infinity],
  run: (args) => settle(args, 'fail', { error: args.opt('error') ?? null }, 'failed'),
};

async function settle(args: Parameters<Command['run']>[0], verb: string, body: object, done: string): Promise<number> {
  const ids = args.positional.slice(1).map((raw) => idArg(raw));
  const paths = await daemon(projectFor(args, false));
  for (const id of ids) {
    await call(paths, 'POST', `/api/entries/${id}/${verb}`, body);
    out(`entry ${id} ${done}`);
  }
  return 0;
}
