// PerQueue's selection of entries (`-i`, `-m`, `-n`, `-s` of `pq ls`, `pq rm`, `pq resubmit`),
// read as PerQueue 0.3.2's `Selection` reads them:
//   -i / -m: comma-separated numbers and inclusive ranges ("3,7-9" is 3, 7, 8, 9);
//   -n: comma-separated names, `*` and `?` as wildcards, whole name, case-insensitive;
//   -s: state letters (or our state names, comma-separated).
// Entry keys are our entry ids; MyQueue ids are the scheduler's job ids (the local pool's are
// process ids). Filters combine with "and".
import type { RtNode } from '../../core/model.js';
import { ENTRY_STATES, parseStates, type EntryState } from '../../core/states.js';
import { UsageError, type Args } from './args.js';

export interface Selection {
  ids?: Set<number>;
  jobIds?: Set<number>;
  names?: RegExp;
  states?: EntryState[];
}

function parseIdList(text: string, option: string, command: string): Set<number> {
  const ids = new Set<number>();
  for (const part of text.split(',').map(p => p.trim())) {
    const range = /^(\d+)-(\d+)$/.exec(part);
    if (range) {
      const [from, to] = [Number(range[1]), Number(range[2])];
      if (to < from) throw new UsageError(`pql ${command}: ${option} '${part}' is an empty range`);
      if (to - from > 1_000_000)
        throw new UsageError(`pql ${command}: ${option} '${part}' spans more than a million ids`);
      for (let i = from; i <= to; i++) ids.add(i);
    } else if (/^\d+$/.test(part)) {
      ids.add(Number(part));
    } else {
      throw new UsageError(`pql ${command}: ${option} takes numbers and ranges like '3,7-9', got '${part}'`);
    }
  }
  return ids;
}

function parseNames(text: string): RegExp {
  const alternatives = text
    .split(',')
    .map(n => n.trim())
    .map(
      n =>
        `^${n
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\?/g, '.')}$`
    );
  return new RegExp(alternatives.join('|'), 'i');
}

/**
 * State letters as `pq` users type them. PerQueue's `g` (goahead: ready to be handed to the
 * scheduler) is our `q`: a ready entry is queued at once. PerQueue's `u` (undefined) has no
 * counterpart: no entry of ours is ever in an undefined state.
 */
export function parseStateOption(raw: string, command: string): EntryState[] {
  const text = raw.toLowerCase(); // as PerQueue reads them
  const names = text.includes(',') || (ENTRY_STATES as readonly string[]).includes(text);
  if (!names && text.includes('u')) {
    throw new UsageError(
      `pql ${command}: state 'u' (PerQueue's "undefined") does not exist here: every entry has a defined state`
    );
  }
  try {
    return [...new Set(parseStates(names ? text : text.replace(/g/g, 'q')))];
  } catch (e) {
    throw new UsageError(`pql ${command}: -s: ${(e as Error).message}`);
  }
}

/** The selection given by -i / -m / -n / -s, or undefined when none was given. */
export function selectionFrom(args: Args, command: string): Selection | undefined {
  const ids = args.opt('id');
  const jobIds = args.opt('mq-id');
  const names = args.opt('name');
  const states = args.opt('states');
  if (ids === undefined && jobIds === undefined && names === undefined && states === undefined) return undefined;
  return {
    ids: ids !== undefined ? parseIdList(ids, '-i', command) : undefined,
    jobIds: jobIds !== undefined ? parseIdList(jobIds, '-m', command) : undefined,
    names: names !== undefined ? parseNames(names) : undefined,
    states: states !== undefined ? parseStateOption(states, command) : undefined
  };
}

export function matches(n: RtNode, s: Selection): boolean {
  if (s.ids && !s.ids.has(n.id)) return false;
  if (s.jobIds && !(n.jobId !== null && /^\d+$/.test(n.jobId) && s.jobIds.has(Number(n.jobId)))) return false;
  if (s.names && !s.names.test(n.name)) return false;
  if (s.states && !s.states.includes(n.state)) return false;
  return true;
}

/** The selection options, shared by ls, rm and resubmit. */
export const SELECTION_OPTIONS = [
  { names: ['-i', '--id'], value: 'IDS', help: "entry ids: '42', '3,7-9' (ranges include both ends)" },
  { names: ['-m', '--mq-id'], value: 'JOBIDS', help: "scheduler job ids (PerQueue's MyQueue ids), same syntax" },
  {
    names: ['-n', '--name'],
    value: 'NAMES',
    help: "entry names, comma-separated, '*' and '?' as wildcards ('train*.py')"
  }
];
