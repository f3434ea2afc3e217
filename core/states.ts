// Entry states and their one-letter codes (PerQueue's letters where PerQueue has the state).

export const ENTRY_STATES = [
  'waiting',
  'queued',
  'running',
  'succeeded',
  'discarded',
  'failed',
  'timed_out',
  'cancelled',
  'skipped',
  'blocked',
  'awaiting_input'
] as const;

export type EntryState = (typeof ENTRY_STATES)[number];

export const STATE_LETTER: Record<EntryState, string> = {
  waiting: 'w',
  queued: 'q',
  running: 'r',
  succeeded: 's',
  discarded: 'd',
  failed: 'f',
  timed_out: 't',
  cancelled: 'c',
  skipped: 'x', // PerQueue calls an entry below a discard "axed" and writes 'x'
  blocked: 'b',
  awaiting_input: 'a'
};

const LETTER_STATE: Record<string, EntryState> = Object.fromEntries(
  Object.entries(STATE_LETTER).map(([s, l]) => [l, s as EntryState])
);

/** Finished and fine for the children: they may run (or be skipped) after these. */
export function isSettled(s: EntryState): boolean {
  return s === 'succeeded' || s === 'discarded' || s === 'skipped';
}

/** Finished badly: children cannot run until a person acts. */
export function isBad(s: EntryState): boolean {
  return s === 'failed' || s === 'timed_out';
}

/** No further change without a person's action. */
export function isTerminal(s: EntryState): boolean {
  return isSettled(s) || isBad(s) || s === 'cancelled';
}

export type WorkflowState = 'running' | 'awaiting_input' | 'failed' | 'cancelled' | 'succeeded';

/**
 * A workflow's state from its counts per entry state. Entries waiting behind a manual step do not
 * make it "running": it waits for a person. Anything but 'running' means nothing in it moves on
 * its own (what `pql wait` and the bridge's wait route wait for).
 */
export function workflowState(counts: Partial<Record<string, number>>): WorkflowState {
  const n = (k: EntryState) => counts[k] ?? 0;
  if (n('running') + n('queued') > 0) return 'running';
  if (n('awaiting_input') > 0) return 'awaiting_input';
  if (n('waiting') > 0) return 'running';
  if (n('failed') + n('timed_out') + n('blocked') > 0) return 'failed';
  if (n('cancelled') > 0) return 'cancelled';
  return 'succeeded';
}

/** Parse "sdf" or "succeeded,failed" into states; throws naming the bad part. */
export function parseStates(text: string): EntryState[] {
  const parts =
    text.includes(',') || (text.length > 1 && (ENTRY_STATES as readonly string[]).includes(text))
      ? text
          .split(',')
          .map(s => s.trim())
          .filter(Boolean)
      : [...text];
  return parts.map(p => {
    if ((ENTRY_STATES as readonly string[]).includes(p)) return p as EntryState;
    const s = LETTER_STATE[p];
    if (!s) {
      throw new Error(
        `unknown state '${p}': use letters ${Object.values(STATE_LETTER).join('')} or names ${ENTRY_STATES.join(', ')}`
      );
    }
    return s;
  });
}
