// PerQueue's complete / discard / fail of an entry by hand (Engine.settleByHand).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine } from '../../core/engine.js';
import { ActionError } from '../../core/errors.js';
import { byName, chain, doc, dwg, states, task } from './harness.js';

describe('results set by hand', () => {
  it('completing a waiting entry whose parent is still queued lets its children go ahead with the data', () => {
    const e = new Engine();
    const wf = e.submit(doc(chain(task('a'), task('b'), task('c'))));
    const [b] = byName(e, wf, 'b');
    e.settleByHand(b.id, 'succeeded', { data: { y: 1 } });
    assert.deepEqual(states(e, wf), { a: ['queued'], b: ['succeeded'], c: ['queued'] });
    assert.deepEqual(e.inputFor(byName(e, wf, 'c')[0].id).kwargs, { y: 1 });
  });

  it('refuses queued, running and succeeded entries, groups and bad data, changing nothing', () => {
    const e = new Engine();
    const wf = e.submit(doc(chain(task('a', {}), dwg(task('b')))));
    const [a] = byName(e, wf, 'a');
    assert.throws(
      () => e.settleByHand(a.id, 'failed'),
      (x: unknown) =>
        x instanceof ActionError && /is queued: a job is queued or running for it: cancel it first/.test(x.message)
    );
    e.markRunning(a.id);
    assert.throws(() => e.settleByHand(a.id, 'succeeded', { data: {} }), /is running/);
    const group = e.nodesOf(wf).find(n => n.kind === 'dynamic_width')!;
    assert.throws(() => e.settleByHand(group.id, 'succeeded'), /is a dynamic_width group; only task entries/);
    e.finish(a.id, { state: 'succeeded', data: { pq_dwg_width: 1 } });
    assert.throws(() => e.settleByHand(a.id, 'discarded'), /is succeeded: it has a result already/);
    const [b] = byName(e, wf, 'b');
    e.cancel(b.id);
    assert.throws(
      () => e.settleByHand(b.id, 'succeeded', { data: [1] as never }),
      /field 'data': must be a JSON object or null/
    );
    assert.equal(byName(e, wf, 'b')[0].state, 'cancelled');
  });

  it('failing a cancelled entry keeps the error; discarding it skips the children; completing it runs them', () => {
    const e = new Engine();
    const wf = e.submit(doc(chain(task('a'), task('b'))));
    const [a] = byName(e, wf, 'a');
    e.cancel(a.id);
    e.settleByHand(a.id, 'failed', { error: 'ValueError()' });
    assert.deepEqual(states(e, wf), { a: ['failed'], b: ['blocked'] });
    assert.equal(byName(e, wf, 'a')[0].error, 'ValueError()');
    e.settleByHand(a.id, 'discarded', { data: null });
    assert.deepEqual(states(e, wf), { a: ['discarded'], b: ['skipped'] });
    e.settleByHand(a.id, 'succeeded', { data: { x: 1 } });
    assert.deepEqual(states(e, wf), { a: ['succeeded'], b: ['queued'] });
  });
});
