// A workflow's state from its counts: the rule the bridge's summaries and `pql wait` share.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { workflowState } from '../../core/states.js';

describe('workflowState', () => {
  const cases: [Record<string, number>, string][] = [
    [{}, 'succeeded'],
    [{ succeeded: 3, discarded: 1, skipped: 2 }, 'succeeded'],
    [{ succeeded: 1, queued: 1 }, 'running'],
    [{ running: 1, awaiting_input: 1 }, 'running'],
    [{ waiting: 2 }, 'running'],
    // Waiting behind a person: not running, whatever else waits.
    [{ awaiting_input: 1, waiting: 5 }, 'awaiting_input'],
    [{ awaiting_input: 1, failed: 1 }, 'awaiting_input'],
    [{ failed: 1, succeeded: 4 }, 'failed'],
    [{ timed_out: 1 }, 'failed'],
    [{ blocked: 2, cancelled: 1 }, 'failed'],
    [{ cancelled: 1, succeeded: 1 }, 'cancelled'],
    [{ running: 0, queued: 0, waiting: 0, succeeded: 1 }, 'succeeded']
  ];
  for (const [counts, state] of cases) {
    it(`${JSON.stringify(counts)} → ${state}`, () => assert.equal(workflowState(counts), state));
  }
});
