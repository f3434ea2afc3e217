// The engine's behaviour, one scenario per test: PerQueue's conformance cases
// (perqueue-reference §4.3) and the choices documented in docs/semantics.md.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine } from '../../core/engine.js';
import { ActionError, FormDataError } from '../../core/errors.js';
import { byName, cg, chain, dag, doc, dwg, manual, runAll, states, sw, swg, task } from './harness.js';

describe('chains and DAGs', () => {
  it('a chain releases only its first task at submission and runs in order', () => {
    const e = new Engine();
    const wf = e.submit(doc(chain(task('a'), task('b'), task('c'))));
    assert.deepEqual(states(e, wf), { a: ['queued'], b: ['waiting'], c: ['waiting'] });
    const runs = runAll(e, {});
    assert.deepEqual(
      runs.map(r => r.name),
      ['a', 'b', 'c']
    );
    assert.deepEqual(states(e, wf), { a: ['succeeded'], b: ['succeeded'], c: ['succeeded'] });
  });

  it('stores edges child to parent', () => {
    const e = new Engine();
    const wf = e.submit(doc(chain(task('a'), task('b'))));
    const [a] = byName(e, wf, 'a');
    const [b] = byName(e, wf, 'b');
    assert.deepEqual(
      e.parentsOf(b.id).map(x => x.parent),
      [a.id]
    );
  });

  it('a diamond child runs only after both parents succeeded', () => {
    const e = new Engine();
    const wf = e.submit(
      doc(dag({ a: [task('a'), []], b: [task('b'), ['a']], c: [task('c'), ['a']], d: [task('d'), ['b', 'c']] }))
    );
    const order = runAll(e, { b: () => ({ x: 1 }), c: () => ({ y: 2 }) });
    assert.equal(order[order.length - 1].name, 'd');
    assert.deepEqual(order[order.length - 1].kwargs, { x: 1, y: 2 });
    assert.equal(byName(e, wf, 'd')[0].state, 'succeeded');
  });

  it('a child gets own args overridden by parent data; top-level tasks get no pq_index/pq_iteration', () => {
    const e = new Engine();
    e.submit(doc(chain(task('a'), task('b', { x: 'own', keep: 1 }))));
    const runs = runAll(e, { a: () => ({ x: 'parent' }) });
    assert.deepEqual(runs[1].kwargs, { x: 'parent', keep: 1 });
  });
});

describe('failure', () => {
  it('a failure keeps the error and blocks everything below; nothing below is expanded', () => {
    const e = new Engine();
    const wf = e.submit(doc(chain(task('a'), task('b'), dwg(task('c')))));
    runAll(e, {
      a: () => ({ state: 'failed', error: 'TypeError("main() got an unexpected keyword argument \'cfg\'")' })
    });
    const [a] = byName(e, wf, 'a');
    assert.equal(a.state, 'failed');
    assert.match(a.error!, /^TypeError\(/);
    assert.deepEqual(states(e, wf), { a: ['failed'], b: ['blocked'], DWG: ['blocked'] });
  });

  it('retry after fixing the script resumes the workflow', () => {
    const e = new Engine();
    const wf = e.submit(doc(chain(task('a'), task('b'))));
    let broken = true;
    runAll(e, { a: () => (broken ? { state: 'failed', error: 'RuntimeError()' } : { v: 1 }) });
    const [a] = byName(e, wf, 'a');
    broken = false;
    e.retry(a.id);
    assert.equal(e.node(a.id)!.attempt, 2);
    const runs = runAll(e, { a: () => ({ v: 1 }) });
    assert.deepEqual(
      runs.map(r => r.name),
      ['a', 'b']
    );
    assert.deepEqual(states(e, wf), { a: ['succeeded'], b: ['succeeded'] });
  });

  it('automatic retries re-run a failing task before it fails for good', () => {
    const e = new Engine();
    const wf = e.submit(doc(chain(task('a', {}, { retries: 2 } as never))));
    let calls = 0;
    runAll(e, { a: () => (++calls < 3 ? { state: 'failed', error: 'flaky' } : { ok: 1 }) });
    assert.equal(calls, 3);
    assert.equal(byName(e, wf, 'a')[0].state, 'succeeded');
  });

  it('a time-out ends timed_out and blocks the children', () => {
    const e = new Engine();
    const wf = e.submit(doc(chain(task('a'), task('b'))));
    runAll(e, { a: () => ({ state: 'timed_out', error: 'killed after 10m' }) });
    assert.deepEqual(states(e, wf), { a: ['timed_out'], b: ['blocked'] });
  });

  it('only failed, timed-out, cancelled or discarded entries can be retried', () => {
    const e = new Engine();
    const wf = e.submit(doc(chain(task('a'))));
    const [a] = byName(e, wf, 'a');
    assert.throws(
      () => e.retry(a.id),
      (err: Error) => err instanceof ActionError && /queued/.test(err.message)
    );
  });
});

describe('filtering (discard)', () => {
  it('a discard skips the descendants', () => {
    const e = new Engine();
    const wf = e.submit(doc(chain(task('a'), task('b'), task('c'))));
    runAll(e, { a: () => ({ state: 'discarded', data: {} }) });
    assert.deepEqual(states(e, wf), { a: ['discarded'], b: ['skipped'], c: ['skipped'] });
  });

  it('a discard inside a width group skips only its column; the join runs with the survivors', () => {
    const e = new Engine();
    const wf = e.submit(doc(chain(swg(chain(task('filter'), task('calc')), 3), task('join'))));
    const runs = runAll(e, {
      filter: kw => ((kw.pq_index as number[])[0] === 1 ? { state: 'discarded', data: {} } : {}),
      calc: kw => ({ v: (kw.pq_index as number[])[0] * 10 })
    });
    assert.deepEqual(states(e, wf).calc, ['succeeded', 'skipped', 'succeeded']);
    const join = runs.find(r => r.name === 'join')!;
    const ids = byName(e, wf, 'calc')
      .filter(n => n.state === 'succeeded')
      .map(n => String(n.id));
    assert.deepEqual(join.kwargs, { v: { [ids[0]]: 0, [ids[1]]: 20 } });
  });

  it('the join is skipped when no column survives', () => {
    const e = new Engine();
    const wf = e.submit(doc(chain(swg(task('f'), 2), task('join'))));
    runAll(e, { f: () => ({ state: 'discarded', data: {} }) });
    assert.deepEqual(states(e, wf), { f: ['discarded', 'discarded'], join: ['skipped'] });
  });

  it('in a plain DAG (no width group) a discarded parent skips the child', () => {
    const e = new Engine();
    const wf = e.submit(doc(dag({ a: [task('a'), []], b: [task('b'), []], c: [task('c'), ['a', 'b']] })));
    runAll(e, { a: () => ({ state: 'discarded', data: {} }) });
    assert.equal(byName(e, wf, 'c')[0].state, 'skipped');
  });
});

describe('StaticWidthGroup', () => {
  it('expands at submission into width x body entries with pq_index, and the join waits for every column', () => {
    const e = new Engine();
    const wf = e.submit(doc(chain(task('pre'), swg(chain(task('a'), task('b')), 3), task('join'))));
    assert.equal(byName(e, wf, 'a').length, 3);
    assert.equal(byName(e, wf, 'b').length, 3);
    assert.deepEqual(
      byName(e, wf, 'b').map(n => n.index),
      [[0], [1], [2]]
    );
    const runs = runAll(e, { b: kw => ({ db_id: (kw.pq_index as number[])[0] }) });
    const join = runs.find(r => r.name === 'join')!;
    assert.equal(runs.indexOf(join), runs.length - 1);
    assert.deepEqual(Object.values(join.kwargs.db_id as object), [0, 1, 2]);
  });

  it('equal values from several parents arrive as one value', () => {
    const e = new Engine();
    e.submit(doc(chain(swg(task('a'), 3), task('join'))));
    const runs = runAll(e, { a: () => ({ run_list: '[1, 2]' }) });
    assert.deepEqual(runs.at(-1)!.kwargs, { run_list: '[1, 2]' });
  });

  it('nested static width groups list indices innermost first, as PerQueue resolves them', () => {
    const e = new Engine();
    const wf = e.submit(doc(swg(swg(task('t'), 2), 3)));
    assert.deepEqual(
      byName(e, wf, 't').map(n => n.index),
      [
        [0, 0],
        [1, 0],
        [0, 1],
        [1, 1],
        [0, 2],
        [1, 2]
      ]
    );
  });
});

describe('DynamicWidthGroup', () => {
  it('takes its width from the parent and gives each column the same data plus pq_index', () => {
    const e = new Engine();
    const wf = e.submit(doc(chain(task('gen'), dwg(task('item')), task('join'))));
    const runs = runAll(e, {
      gen: () => ({ pq_dwg_width: 5, items: [10, 11, 12, 13, 14] }),
      item: kw => ({ got: (kw.items as number[])[(kw.pq_index as number[])[0]] })
    });
    const items = runs.filter(r => r.name === 'item');
    assert.equal(items.length, 5);
    assert.deepEqual(items[2].kwargs, { items: [10, 11, 12, 13, 14], pq_dwg_width: 5, pq_index: [2] });
    assert.deepEqual(Object.values(runs.at(-1)!.kwargs.got as object), [10, 11, 12, 13, 14]);
    assert.equal(byName(e, wf, 'DWG')[0].state, 'succeeded');
  });

  it('width 0 makes an empty group and the next task still runs with the passed-through data', () => {
    const e = new Engine();
    const wf = e.submit(doc(chain(task('gen'), dwg(task('item')), task('after'))));
    const runs = runAll(e, { gen: () => ({ pq_dwg_width: 0, note: 'n' }) });
    assert.deepEqual(
      runs.map(r => r.name),
      ['gen', 'after']
    );
    assert.deepEqual(runs[1].kwargs, { note: 'n', pq_dwg_width: 0 });
    assert.equal(byName(e, wf, 'item').length, 0);
  });

  it('parents that disagree on the width fail the group with both values', () => {
    const e = new Engine();
    const wf = e.submit(doc(dag({ a: [task('a'), []], b: [task('b'), []], d: [dwg(task('x')), ['a', 'b']] })));
    runAll(e, { a: () => ({ pq_dwg_width: 2 }), b: () => ({ pq_dwg_width: 3 }) });
    const [d] = byName(e, wf, 'DWG');
    assert.equal(d.state, 'failed');
    assert.match(d.error!, /disagree on 'pq_dwg_width'/);
    assert.match(d.error!, /2.*3/);
  });

  it('a missing width fails the group naming the key', () => {
    const e = new Engine();
    const wf = e.submit(doc(chain(task('a'), dwg(task('x')))));
    runAll(e, {});
    assert.match(byName(e, wf, 'DWG')[0].error!, /no parent returned 'pq_dwg_width'/);
  });

  it('a width set by a person applies to groups not yet expanded', () => {
    const e = new Engine();
    const wf = e.submit(doc(chain(task('a'), dwg(task('x')))));
    const [d] = byName(e, wf, 'DWG');
    e.modify(d.id, { width: 2 });
    runAll(e, { a: () => ({ pq_dwg_width: 7 }) });
    assert.equal(byName(e, wf, 'x').length, 2);
  });

  it('a discard in one column leaves the join to run with the others', () => {
    const e = new Engine();
    const wf = e.submit(doc(chain(task('gen'), dwg(task('x')), task('join'))));
    runAll(e, {
      gen: () => ({ pq_dwg_width: 3 }),
      x: kw => ((kw.pq_index as number[])[0] === 0 ? { state: 'discarded', data: {} } : { k: 1 })
    });
    assert.equal(byName(e, wf, 'join')[0].state, 'succeeded');
  });
});

describe('CyclicalGroup', () => {
  it('repeats the body until the last task returns pq_toggle_key true, feeding each iteration the previous output', () => {
    const e = new Engine();
    const wf = e.submit(doc(chain(task('init'), cg(chain(task('step')), 10), task('after'))));
    const runs = runAll(e, {
      init: () => ({ x: 0 }),
      step: kw => ({ x: (kw.x as number) + 1, pq_toggle_key: (kw.x as number) + 1 >= 3 })
    });
    const steps = runs.filter(r => r.name === 'step');
    assert.deepEqual(
      steps.map(r => r.kwargs.pq_iteration),
      [[0], [1], [2]]
    );
    assert.deepEqual(
      steps.map(r => r.kwargs.x),
      [0, 1, 2]
    );
    // PerQueue strips nothing: the next iteration sees false, what follows the loop true.
    assert.equal(steps[1].kwargs.pq_toggle_key, false);
    assert.ok(!('pq_toggle_key' in steps[0].kwargs));
    assert.deepEqual(runs.at(-1)!.kwargs, { x: 3, pq_toggle_key: true });
    assert.equal(byName(e, wf, 'after')[0].state, 'succeeded');
  });

  it('running out of max_tries fails the group by name; raising it and retrying goes on', () => {
    const e = new Engine();
    const wf = e.submit(doc(chain(task('init'), cg(task('step'), 2), task('after'))));
    let stopAt = 99;
    const step = (kw: Record<string, unknown>) => ({ pq_toggle_key: (kw.pq_iteration as number[])[0] >= stopAt });
    runAll(e, { step });
    const failed = e.nodesOf(wf).find(n => n.state === 'failed')!;
    assert.equal(failed.kind, 'toggle');
    assert.match(failed.error!, /CyclicalGroup 'CG' ran out of tries: 2 iteration/);
    assert.equal(byName(e, wf, 'after')[0].state, 'blocked');
    e.modify(failed.id, { maxTries: 5 });
    stopAt = 3;
    e.retry(failed.id);
    runAll(e, { step });
    assert.equal(byName(e, wf, 'step').length, 4);
    assert.equal(byName(e, wf, 'after')[0].state, 'succeeded');
  });

  it('a missing toggle key fails the iteration with a clear message', () => {
    const e = new Engine();
    const wf = e.submit(doc(chain(task('a'), cg(task('s')))));
    runAll(e, {});
    assert.match(e.nodesOf(wf).find(n => n.state === 'failed')!.error!, /returned no 'pq_toggle_key'/);
  });

  it('holds two DynamicWidthGroups (the active-learning shape) with nested pq_index/pq_iteration', () => {
    const e = new Engine();
    const body = chain(task('select'), dwg(task('label')), task('train_gen'), dwg(task('train')), task('check'));
    const wf = e.submit(doc(chain(swg(task('train0'), 2), cg(body, 5), task('final'))));
    const runs = runAll(e, {
      select: () => ({ pq_dwg_width: 2 }),
      train_gen: () => ({ pq_dwg_width: 3 }),
      check: kw => ({ pq_toggle_key: (kw.pq_iteration as number[])[0] === 1 })
    });
    const labels = runs.filter(r => r.name === 'label');
    assert.deepEqual(
      labels.map(r => [r.kwargs.pq_index, r.kwargs.pq_iteration]),
      [
        [[0], [0]],
        [[1], [0]],
        [[0], [1]],
        [[1], [1]]
      ]
    );
    assert.equal(runs.filter(r => r.name === 'train').length, 6);
    assert.equal(byName(e, wf, 'final')[0].state, 'succeeded');
  });

  it('a DWG inside a CG gets its width from the previous iteration', () => {
    const e = new Engine();
    e.submit(doc(chain(task('a'), cg(chain(dwg(task('relax')), task('fit'))))));
    const runs = runAll(e, {
      a: () => ({ pq_dwg_width: 1 }),
      fit: kw => ({ pq_dwg_width: 2, pq_toggle_key: (kw.pq_iteration as number[])[0] === 1 })
    });
    assert.deepEqual(
      runs.filter(r => r.name === 'relax').map(r => r.kwargs.pq_iteration),
      [[0], [1], [1]]
    );
  });

  it('several last tasks stop the loop only when none says false', () => {
    const e = new Engine();
    const wf = e.submit(doc(cg(dag({ a: [task('a'), []], b: [task('b'), []] }), 3), 'x'));
    runAll(e, {
      a: () => ({ pq_toggle_key: true }),
      b: kw => ({ pq_toggle_key: (kw.pq_iteration as number[])[0] >= 1 })
    });
    assert.equal(byName(e, wf, 'a').length, 2);
  });
});

describe('SwitchGroup', () => {
  it('runs only the branch named by pq_switch_key; the others never appear', () => {
    const e = new Engine();
    const wf = e.submit(doc(chain(task('check'), sw({ lammps: task('md'), skip_MD: task('noop') }), task('after'))));
    const runs = runAll(e, { check: () => ({ pq_switch_key: 'lammps', v: 1 }), md: () => ({ out: 2 }) });
    assert.deepEqual(
      runs.map(r => r.name),
      ['check', 'md', 'after']
    );
    assert.deepEqual(runs[1].kwargs, { v: 1, pq_switch_key: 'lammps' });
    assert.equal(byName(e, wf, 'noop').length, 0);
    assert.deepEqual(runs[2].kwargs, { out: 2 });
  });

  it('an unknown key fails with the list of valid keys', () => {
    const e = new Engine();
    const wf = e.submit(doc(chain(task('check'), sw({ a: task('x'), b: task('y') }))));
    runAll(e, { check: () => ({ pq_switch_key: 'c' }) });
    const [s] = byName(e, wf, 'SG');
    assert.equal(s.state, 'failed');
    assert.match(s.error!, /unknown 'pq_switch_key' value 'c'; valid keys: 'a', 'b'/);
  });

  it('the skip value runs no branch and the next task goes on', () => {
    const e = new Engine();
    e.submit(doc(chain(task('check'), sw({ a: task('x') }), task('after'))));
    const runs = runAll(e, { check: () => ({ pq_switch_key: 'pq_skip_route' }) });
    assert.deepEqual(
      runs.map(r => r.name),
      ['check', 'after']
    );
  });

  it('inside a StaticWidthGroup each column picks its own branch', () => {
    const e = new Engine();
    const wf = e.submit(doc(swg(chain(task('check'), sw({ even: task('e'), odd: task('o') })), 4)));
    runAll(e, { check: kw => ({ pq_switch_key: (kw.pq_index as number[])[0] % 2 ? 'odd' : 'even' }) });
    assert.deepEqual(
      byName(e, wf, 'e').map(n => n.index),
      [[0], [2]]
    );
    assert.deepEqual(
      byName(e, wf, 'o').map(n => n.index),
      [[1], [3]]
    );
  });
});

describe('changing a running workflow', () => {
  it('the args of a waiting entry can be modified before it runs', () => {
    const e = new Engine();
    const wf = e.submit(doc(chain(task('a'), task('b', { k: 1 }))));
    e.modify(byName(e, wf, 'b')[0].id, { args: { k: 2 } });
    const runs = runAll(e, {});
    assert.deepEqual(runs[1].kwargs, { k: 2 });
  });

  it('a running entry cannot have its args changed', () => {
    const e = new Engine();
    const wf = e.submit(doc(chain(task('a'))));
    const [a] = byName(e, wf, 'a');
    e.markRunning(a.id);
    assert.throws(() => e.modify(a.id, { args: {} }), /running/);
  });

  it('a bad resource string is refused and the old one kept', () => {
    const e = new Engine();
    const wf = e.submit(doc(chain(task('a'), task('b'))));
    const [b] = byName(e, wf, 'b');
    assert.throws(() => e.modify(b.id, { resources: 'x:y' }), /field 'resources'/);
    assert.equal(e.node(b.id)!.resources, '1:local:10m');
  });

  it('valid args with a bad resource string, retries or max_tries: refused, and nothing changes', () => {
    const e = new Engine();
    const wf = e.submit(doc(chain(task('a'), task('b', { k: 1 }))));
    const [b] = byName(e, wf, 'b');
    assert.throws(() => e.modify(b.id, { args: { k: 2 }, resources: 'bad' }), /field 'resources'/);
    assert.throws(() => e.modify(b.id, { args: { k: 3 }, retries: -1 }), /field 'retries'/);
    assert.throws(() => e.modify(b.id, { args: { k: 4 }, code: '/x.py', maxTries: 3 }), /not a CyclicalGroup/);
    assert.throws(() => e.modify(b.id, { args: { k: 5 }, width: 2 }), /not a DynamicWidthGroup/);
    const after = e.node(b.id)!;
    assert.deepEqual(
      [after.args, after.resources, after.retries, after.code],
      [{ k: 1 }, '1:local:10m', 0, '/scripts/b.py']
    );
  });

  it('a waiting entry can get a new script; an empty one is refused and nothing changes', () => {
    const e = new Engine();
    const wf = e.submit(doc(chain(task('a'), task('b', { k: 1 }))));
    const [b] = byName(e, wf, 'b');
    assert.throws(
      () => e.modify(b.id, { args: { k: 2 }, code: ' ' }),
      /entry \d+ \('b'\), field 'code': must be the path of a script/
    );
    assert.deepEqual([e.node(b.id)!.args, e.node(b.id)!.code], [{ k: 1 }, '/scripts/b.py']);
    e.modify(b.id, { code: '/elsewhere/b2.py' });
    let ran: string | null = null;
    runAll(e, { b: (_kw, node) => ((ran = node.code), {}) });
    assert.equal(ran, '/elsewhere/b2.py');
  });

  it('cancel stops the entry and everything below; retry reopens them', () => {
    const e = new Engine();
    const wf = e.submit(doc(chain(task('a'), task('b'), task('c'))));
    const [a] = byName(e, wf, 'a');
    assert.deepEqual(e.cancel(a.id), [a.id]);
    assert.deepEqual(states(e, wf), { a: ['cancelled'], b: ['cancelled'], c: ['cancelled'] });
    assert.equal(e.finish(a.id, { state: 'succeeded', data: {} }), false, 'a late result is ignored');
    e.retry(a.id);
    runAll(e, {});
    assert.deepEqual(states(e, wf), { a: ['succeeded'], b: ['succeeded'], c: ['succeeded'] });
  });
});

describe('ManualTask', () => {
  it('waits for a person holding no slot, and approve sends the data downstream', () => {
    const e = new Engine();
    const wf = e.submit(doc(chain(task('a'), manual('label'), task('b'))));
    runAll(e, { a: () => ({ img: 'x.png' }) });
    const [m] = byName(e, wf, 'label');
    assert.equal(m.state, 'awaiting_input');
    assert.deepEqual(
      e.awaitingInput().map(n => n.id),
      [m.id]
    );
    assert.deepEqual(e.inputFor(m.id).kwargs, { img: 'x.png' });
    e.approve(m.id, { labels: [1, 0] }, 'alice');
    const runs = runAll(e, {});
    assert.deepEqual(runs[0].kwargs, { labels: [1, 0] });
    assert.equal(e.node(m.id)!.completedBy, 'alice');
  });

  it('reject discards the branch or fails, as declared', () => {
    const e = new Engine();
    const wf = e.submit(
      doc(dag({ a: [manual('m1'), []], b: [manual('m2', { onReject: 'fail' }), []], c: [task('c'), ['a']] }))
    );
    const [m1] = byName(e, wf, 'm1');
    const [m2] = byName(e, wf, 'm2');
    e.reject(m1.id, 'bob');
    e.reject(m2.id, 'bob', 'blurry');
    assert.deepEqual(states(e, wf), { m1: ['discarded'], m2: ['failed'], c: ['skipped'] });
    assert.equal(e.node(m2.id)!.error, 'rejected by bob: blurry');
    e.retry(m2.id);
    assert.equal(e.node(m2.id)!.state, 'awaiting_input', 'a retried manual entry asks again');
  });

  it('a timeout applies the default', () => {
    let now = 1000;
    const e = new Engine({ now: () => now });
    const wf = e.submit(doc(chain(manual('m', { timeout: 60, default: { labels: [] } }), task('b'))));
    assert.deepEqual(e.expireManualSteps(), []);
    now += 61_000;
    const [m] = byName(e, wf, 'm');
    assert.deepEqual(e.expireManualSteps(), [m.id]);
    assert.equal(e.node(m.id)!.state, 'succeeded');
    assert.deepEqual(runAll(e, {})[0].kwargs, { labels: [] });
  });

  it("approve checks the data against the step's form: refused data changes nothing", () => {
    const e = new Engine();
    const form = {
      type: 'object',
      required: ['quality'],
      additionalProperties: false,
      properties: { quality: { type: 'number' }, labels: { type: 'array', items: { type: 'integer' } } }
    };
    const wf = e.submit(doc(chain(task('a'), swg(manual('label', { form }), 2), task('b')), 'labelling'));
    runAll(e, {});
    const [m0, m1] = byName(e, wf, 'label');
    e.takeChanges();
    let refused: unknown;
    try {
      e.approve(m0.id, { labels: [1, 'x'], qualty: 1 }, 'ann');
    } catch (err) {
      refused = err;
    }
    assert.ok(refused instanceof FormDataError, String(refused));
    assert.ok(refused instanceof ActionError, 'a user error: the bridge answers 400');
    assert.equal(
      refused.message,
      `workflow ${wf} ('labelling'), entry ${m0.id} ('label'), node 'root/n1/body': the data does not match the step's form: ` +
        `data: missing required field 'quality'; data.labels[1]: expected an integer, got "x"; data.qualty: not a field of the form (the form has 'quality', 'labels')`
    );
    assert.deepEqual(refused.problems.length, 3);
    assert.throws(
      () => e.approve(m0.id, undefined, 'ann'),
      /data: missing required field 'quality'/,
      'no data is an empty object'
    );
    const unchanged = e.takeChanges();
    assert.deepEqual([unchanged.nodes, unchanged.addedEdges, unchanged.workflows], [[], [], []], 'nothing to store');
    assert.equal(e.node(m0.id)!.state, 'awaiting_input');
    assert.equal(e.node(m0.id)!.data, null);
    assert.equal(e.node(m0.id)!.completedBy, null);
    e.approve(m0.id, { quality: 0.9, labels: [1, 2] }, 'ann');
    e.approve(m1.id, { quality: 0.1 }, 'bob');
    const runs = runAll(e, {});
    assert.deepEqual(
      runs.map(r => r.name),
      ['b']
    );
    assert.deepEqual(states(e, wf), { a: ['succeeded'], label: ['succeeded', 'succeeded'], b: ['succeeded'] });
  });

  it('a step without a form takes any object', () => {
    const e = new Engine();
    const wf = e.submit(doc(chain(manual('m'))));
    e.approve(byName(e, wf, 'm')[0].id, { anything: [1, 'a'] }, 'x');
    assert.deepEqual(states(e, wf), { m: ['succeeded'] });
  });

  it('approving an entry that is not waiting for a person is refused', () => {
    const e = new Engine();
    const wf = e.submit(doc(chain(task('a'))));
    assert.throws(() => e.approve(byName(e, wf, 'a')[0].id, {}, 'x'), /not a manual step/);
  });
});

describe('persistence of the in-memory graph', () => {
  it('a workflow reloaded mid-run from its rows carries on to the same end', () => {
    const e = new Engine();
    const wf = e.submit(doc(chain(task('gen'), dwg(task('x')), task('join'))));
    const rows = { nodes: new Map<number, unknown>(), edges: [] as unknown[] };
    const persist = () => {
      const c = e.takeChanges();
      for (const n of c.nodes) rows.nodes.set(n.id, structuredClone(n));
      for (const ed of c.removedEdges) rows.edges = rows.edges.filter(x => JSON.stringify(x) !== JSON.stringify(ed));
      rows.edges.push(...c.addedEdges.map(x => structuredClone(x)));
      return c;
    };
    const c0 = persist();
    // run gen only
    const [gen] = byName(e, wf, 'gen');
    e.markRunning(gen.id);
    e.finish(gen.id, { state: 'succeeded', data: { pq_dwg_width: 2 } });
    const c1 = persist();
    const e2 = new Engine();
    e2.load(c0.workflows[0], [...rows.nodes.values()] as never, rows.edges as never);
    e2.reserveIds(c1.nextNodeId, c1.nextWorkflowId);
    runAll(e2, { x: kw => ({ i: (kw.pq_index as number[])[0] }) });
    assert.deepEqual(states(e2, wf), {
      gen: ['succeeded'],
      DWG: ['succeeded'],
      join: ['succeeded'],
      x: ['succeeded', 'succeeded']
    });
  });
});

describe('automatic retries with more resources', () => {
  it('an executor can give the automatic re-run more time; without retries left nothing changes', () => {
    const e = new Engine();
    const wf = e.submit(doc(chain(task('a', {}, { retries: 1, resources: '1:1m' } as never))));
    const [a] = byName(e, wf, 'a');
    e.markRunning(a.id);
    e.finish(a.id, { state: 'timed_out', error: 'TIMEOUT' }, { retryResources: '1:2m' });
    assert.equal(e.node(a.id)!.resources, '1:2m');
    assert.equal(e.node(a.id)!.state, 'queued');
    e.markRunning(a.id);
    e.finish(a.id, { state: 'timed_out', error: 'TIMEOUT' }, { retryResources: '1:4m' });
    assert.equal(e.node(a.id)!.resources, '1:2m');
    assert.equal(e.node(a.id)!.state, 'timed_out');
  });
});

describe('pq_parents', () => {
  it('lists the entries behind group placeholders, in parent order', () => {
    const e = new Engine();
    const wf = e.submit(doc(chain(swg(task('first'), 2), dwg(task('inner')))));
    runAll(e, { first: kw => ({ x: (kw.pq_index as number[])[0], pq_dwg_width: 1 }) });
    const [inner] = byName(e, wf, 'inner');
    const firsts = byName(e, wf, 'first');
    const { pqParents } = e.inputFor(inner.id);
    assert.deepEqual(
      pqParents.map(p => [p.id, p.name, p.index, p.data.x]),
      firsts.map((f, i) => [f.id, 'first', [i], i])
    );
  });
});
