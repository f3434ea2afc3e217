import { statusText } from '../statusItem';
import type { PerQueue } from '../../tokens';

const live: PerQueue.ConnectionInfo = { status: 'live' } as PerQueue.ConnectionInfo;

function summary(id: number, counts: Record<string, number>): PerQueue.WorkflowSummary {
  return { id, name: `w${id}`, createdAt: 0, total: 0, counts, state: 'running' } as PerQueue.WorkflowSummary;
}

describe('the status-bar text', () => {
  it('separates running from queued, summed over workflows, with thousands separated', () => {
    const text = statusText(
      [summary(1, { running: 2, queued: 1200 }), summary(2, { queued: 759, failed: 1, timed_out: 1 })],
      live
    );
    expect(text).toBe('PerQueue: 2 running · 1,959 queued · 2 failed');
  });

  it('names waiting people and leaves out what is zero', () => {
    expect(statusText([summary(1, { awaiting_input: 1, succeeded: 4 })], live)).toBe(
      'PerQueue: 0 running · 1 awaiting input'
    );
  });

  it('says when the bridge is unreachable or the stream reconnects', () => {
    expect(statusText([], { status: 'unavailable' } as PerQueue.ConnectionInfo)).toBe('PerQueue: bridge unavailable');
    expect(statusText([summary(1, { running: 1 })], { status: 'reconnecting' } as PerQueue.ConnectionInfo)).toBe(
      'PerQueue: 1 running (reconnecting)'
    );
  });
});
