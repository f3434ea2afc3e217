// PerQueue 0.3.2's data flow, rule by rule (docs/semantics.md, "Data flow as PerQueue 0.3.2"):
// pq_index and pq_iteration in every nesting, the reserved keys that reach tasks, precedence,
// joins. tests/conformance/ runs the same shapes on the published package and compares.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine } from '../../core/engine.js';
import { byName, cg, chain, doc, dwg, runAll, sw, swg, task } from './harness.js';
import type { NodeSpec } from '../../core/spec.js';

/** Run `root` with `gen` returning the given widths in order, and give every t's [pq_index, pq_iteration]. */
function indices(root: NodeSpec, behaviours: Parameters<typeof runAll>[1] = {}): [unknown, unknown][] {
  const e = new Engine();
  e.submit(doc(root));
  const runs = runAll(e, behaviours);
  return runs
    .filter(r => r.name === 't')
    .map((r): [unknown, unknown] => [r.kwargs.pq_index, r.kwargs.pq_iteration])
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

const sorted = (xs: [unknown, unknown][]) => [...xs].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
const width = (w: number) => () => ({ pq_dwg_width: w });

describe('pq_index in nested width groups (PerQueue 0.3.2)', () => {
  it('SWG in SWG: [inner, outer] (static groups resolve inside out)', () => {
    assert.deepEqual(
      indices(swg(swg(task('t'), 2), 3)),
      sorted([0, 1, 2].flatMap(o => [0, 1].map((i): [unknown, unknown] => [[i, o], undefined])))
    );
  });

  it('DWG in SWG: [outer, inner] (the dynamic column is appended)', () => {
    const got = indices(swg(chain(task('gen'), dwg(task('t'))), 2), { gen: width(3) });
    assert.deepEqual(got, sorted([0, 1].flatMap(o => [0, 1, 2].map((i): [unknown, unknown] => [[o, i], undefined]))));
  });

  it('SWG in DWG: [inner, outer]', () => {
    const got = indices(chain(task('gen'), dwg(swg(task('t'), 2))), { gen: width(3) });
    assert.deepEqual(got, sorted([0, 1, 2].flatMap(o => [0, 1].map((i): [unknown, unknown] => [[i, o], undefined]))));
  });

  it('DWG in DWG: [outer, inner]', () => {
    const got = indices(chain(task('gen'), dwg(chain(task('gen2'), dwg(task('t'))))), {
      gen: width(2),
      gen2: width(2)
    });
    assert.deepEqual(got, sorted([0, 1].flatMap(o => [0, 1].map((i): [unknown, unknown] => [[o, i], undefined]))));
  });

  it('SWG in DWG in SWG: the DWG copies its own pq_index over the inner static one, then appends its column', () => {
    const got = indices(swg(chain(task('gen'), dwg(swg(task('t'), 2))), 2), { gen: width(2) });
    // Four distinct columns of t per outer column, but PerQueue's list loses the innermost index.
    assert.deepEqual(
      got,
      sorted(
        [0, 1].flatMap(o =>
          [0, 1].flatMap((c): [unknown, unknown][] => [
            [[o, c], undefined],
            [[o, c], undefined]
          ])
        )
      )
    );
  });

  it('SWG in a top-level CyclicalGroup keeps its index; iterations count from 0', () => {
    const got = indices(cg(chain(swg(task('t'), 2), task('stop')), 3), {
      stop: kw => ({ pq_toggle_key: (kw.pq_iteration as number[])[0] >= 1 })
    });
    assert.deepEqual(got, sorted([0, 1].flatMap(k => [0, 1].map((i): [unknown, unknown] => [[i], [k]]))));
  });

  it('SWG in a CyclicalGroup in a SWG: the cycle copies its pq_index over the body', () => {
    const got = indices(swg(cg(chain(swg(task('t'), 2), task('stop')), 2), 2), {
      stop: () => ({ pq_toggle_key: true })
    });
    assert.deepEqual(
      got,
      sorted(
        [0, 1].flatMap((o): [unknown, unknown][] => [
          [[o], [0]],
          [[o], [0]]
        ])
      )
    );
  });

  it('SWG in a SwitchGroup branch: kept at top level, replaced by the switch’s pq_index inside a SWG', () => {
    const branch = sw({ a: swg(task('t'), 2) });
    assert.deepEqual(indices(chain(task('pick'), branch), { pick: () => ({ pq_switch_key: 'a' }) }), [
      [[0], undefined],
      [[1], undefined]
    ]);
    const inSwg = indices(swg(chain(task('pick'), sw({ a: swg(task('t'), 2) })), 2), {
      pick: () => ({ pq_switch_key: 'a' })
    });
    assert.deepEqual(inSwg, [
      [[0], undefined],
      [[0], undefined],
      [[1], undefined],
      [[1], undefined]
    ]);
  });

  it('DWG in a CyclicalGroup: pq_index [column], pq_iteration [k]; CG in CG: [outer, inner]', () => {
    const got = indices(chain(task('gen'), cg(chain(dwg(task('t')), task('stop')), 3)), {
      gen: width(2),
      stop: kw => ({ pq_dwg_width: 1, pq_toggle_key: (kw.pq_iteration as number[])[0] >= 1 })
    });
    assert.deepEqual(
      got,
      sorted([
        [[0], [0]],
        [[1], [0]],
        [[0], [1]]
      ])
    );
    const nested = indices(cg(cg(task('t'), 3), 3), {
      t: kw => ({ pq_toggle_key: (kw.pq_iteration as number[])[1] >= 1 })
    });
    // The outer loop stops when the inner one's last output says so (the same key): one outer round.
    assert.deepEqual(nested, [
      [undefined, [0, 0]],
      [undefined, [0, 1]]
    ]);
  });
});

describe('reserved keys reach the tasks (PerQueue strips none)', () => {
  it('DWG columns get pq_dwg_width; a SwitchGroup branch gets pq_switch_key', () => {
    const e = new Engine();
    e.submit(doc(chain(task('gen'), dwg(task('col')), task('pick'), sw({ a: task('branch') }))));
    const runs = runAll(e, {
      gen: () => ({ pq_dwg_width: 2, x: 1 }),
      col: () => ({ y: 2 }),
      pick: () => ({ pq_switch_key: 'a' })
    });
    assert.deepEqual(runs.find(r => r.name === 'col')!.kwargs, { pq_dwg_width: 2, x: 1, pq_index: [0] });
    assert.deepEqual(runs.find(r => r.name === 'branch')!.kwargs, { pq_switch_key: 'a' });
  });

  it('the first iteration gets the data before the loop whole; later ones and what follows get pq_toggle_key', () => {
    const e = new Engine();
    e.submit(doc(chain(task('pre'), cg(task('body'), 5), task('after'))));
    const runs = runAll(e, {
      pre: () => ({ pq_toggle_key: 'from before', n: 0 }),
      body: kw => ({ n: (kw.n as number) + 1, pq_toggle_key: (kw.pq_iteration as number[])[0] >= 1 })
    });
    const bodies = runs.filter(r => r.name === 'body');
    assert.deepEqual(
      bodies.map(r => r.kwargs),
      [
        { pq_toggle_key: 'from before', n: 0, pq_iteration: [0] },
        { pq_toggle_key: false, n: 1, pq_iteration: [1] }
      ]
    );
    assert.deepEqual(runs.at(-1)!.kwargs, { pq_toggle_key: true, n: 2 });
  });
});

describe('precedence and joins', () => {
  it('own args < parents’ data < pq_index/pq_iteration; a top-level task keeps a pq_index its parent returns', () => {
    const e = new Engine();
    e.submit(doc(chain(task('a'), task('top', { x: 'own', y: 'own' }), swg(task('col', { x: 'own' }), 1))));
    const runs = runAll(e, { a: () => ({ x: 'parent', pq_index: ['from a'] }), top: () => ({ pq_index: 'from top' }) });
    assert.deepEqual(runs[1].kwargs, { x: 'parent', y: 'own', pq_index: ['from a'] });
    assert.deepEqual(runs[2].kwargs, { x: 'own', pq_index: [0] });
  });

  it('a join gets differing values keyed by parent entry id (their order in `joined`: last column first), equal values once', () => {
    const e = new Engine();
    const wf = e.submit(doc(chain(swg(task('c'), 3), task('join'))));
    runAll(e, { c: kw => ({ v: (kw.pq_index as number[])[0], same: [1, 2] }) });
    const cols = byName(e, wf, 'c');
    const join = byName(e, wf, 'join')[0];
    // Inspect the input a second time (runAll already ran it): it is recomputed from the store.
    const input = e.inputFor(join.id);
    assert.deepEqual(input.kwargs, { v: Object.fromEntries(cols.map((c, i) => [String(c.id), i])), same: [1, 2] });
    // PerQueue numbers a group's columns last first: the join's dict lists the last column first.
    assert.deepEqual(input.joined, { v: cols.map(c => c.id).reverse() });
  });
});

describe('parents agree as Python compares (PerQueue collapses equal values)', () => {
  it('True and 1, 2 and 2.0, 0.0 and -0.0 are one value; 1 and 2 are not', () => {
    const e = new Engine();
    const wf = e.submit(doc(chain(swg(task('c'), 2), task('join'))));
    runAll(e, {
      c: kw =>
        (kw.pq_index as number[])[0] === 0
          ? { flag: true, x: 2, z: { __pq__: 'float', value: 0 }, d: 1 }
          : { flag: 1, x: { __pq__: 'float', value: 2 }, z: { __pq__: 'float', value: '-0.0' }, d: 2 }
    });
    const join = byName(e, wf, 'join')[0];
    const { kwargs, joined } = e.inputFor(join.id);
    // The value kept is the first parent's in PerQueue's order (last column first).
    assert.deepEqual(kwargs.flag, 1);
    assert.deepEqual(kwargs.x, { __pq__: 'float', value: 2 });
    assert.deepEqual(Object.keys(joined), ['d']);
  });
});
