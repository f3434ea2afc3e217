// The TypeScript API builds the same specs as the Python API: the shared fixture files
// (written by tests/fixtures/specs/build_fixtures.py) are rebuilt here and compared.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  CyclicalGroup,
  DynamicWidthGroup,
  ManualTask,
  SpecBuilder,
  StaticWidthGroup,
  SwitchGroup,
  Task,
  Workflow
} from '../../core/builder.js';
import { Engine } from '../../core/engine.js';
import { validateSpec, type Ports } from '../../core/spec.js';
import { REPO } from '../bridge/cli-harness.js';

const FIXTURES = join(REPO, 'tests/fixtures/specs');
const fixture = (name: string) => JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8'));

const builders: Record<string, () => unknown> = {
  chain: () => {
    const strain = new Task('/fixture/apply_strain.py', { strain: 0.02 }, '1:local:10m');
    const preneb = new Task('/fixture/preneb.py', null, '8:xeon8:2h', { retries: 1 });
    const neb = new Task('/fixture/neb.py', { images: 7 }, '24:1:xeon24el8:2d', {
      name: 'neb',
      preamble: 'module load vasp'
    });
    return new Workflow([strain, preneb, neb]).toDocument('chain');
  },
  diamond: () => {
    const prepare = new Task('/fixture/prepare.py', { n: 10 });
    const left = new Task('/fixture/relax.py', { method: 'bfgs' }, undefined, { name: 'relax-bfgs' });
    const right = new Task('/fixture/relax.py', { method: 'fire' }, undefined, { name: 'relax-fire' });
    const join = new Task('/fixture/compare.py', null, undefined, { func: 'compare_all' });
    return new Workflow(
      new Map<Task, Task[] | Map<Task, Ports>>([
        [prepare, []],
        [left, [prepare]],
        [right, new Map([[prepare, { out: 'in' }]])],
        [join, [left, right]]
      ])
    ).toDocument('diamond');
  },
  swg_chain: () => {
    const swg = new StaticWidthGroup(
      [new Task('/fixture/generate.py'), new Task('/fixture/train.py', { epochs: 5 })],
      3
    );
    const collect = new Task('/fixture/collect.py');
    return new Workflow(
      new Map<SpecBuilder, SpecBuilder[]>([
        [swg, []],
        [collect, [swg]]
      ])
    ).toDocument('swg-chain');
  },
  active_learning: () => {
    const train0 = new Task('/fixture/train.py', { epochs: 100 }, '8:sm3090el8:3h');
    const simulate = new DynamicWidthGroup(new Task('/fixture/simulate.py', null, '8:xeon8:1h'));
    const select = new Task('/fixture/al_select.py');
    const label = new DynamicWidthGroup(new Task('/fixture/labeling.py', null, '24:xeon24el8:2h'));
    const train = new Task('/fixture/train.py', { epochs: 20 }, '8:sm3090el8:3h');
    return new Workflow([train0, new CyclicalGroup([simulate, select, label, train], 10)]).toDocument(
      'active-learning'
    );
  },
  swg_switch: () => {
    const check = new Task('/fixture/check.py');
    const md = new Task('/fixture/md.py', { steps: 1000 }, '4:1h');
    const skip = new Task('/fixture/skip_md.py');
    const relax = [new Task('/fixture/relax.py'), new Task('/fixture/analyse.py')];
    const sw = new SwitchGroup(
      new Map<string | number, Task | Task[]>([
        ['lammps', md],
        ['skip_MD', skip],
        [3, relax]
      ])
    );
    const swg = new StaticWidthGroup([check, sw], 2);
    return new Workflow([new Task('/fixture/setup.py'), swg, new Task('/fixture/report.py')]).toDocument('swg-switch');
  },
  manual_in_cycle: () => {
    const propose = new Task('/fixture/propose.py', { images: ['a.png', 'b.png'] });
    const segment = new Task('/fixture/segment.py', null, '1:local:30m');
    const annotate = new ManualTask('annotate', {
      notebook: '/fixture/annotate.ipynb',
      form: { type: 'object', properties: { quality: { type: 'number' } } },
      args: { hint: 'mark the cell borders' },
      timeout: 3600,
      default: { quality: 0.5 },
      onReject: 'fail'
    });
    const refine = new Task('/fixture/refine.py');
    return new Workflow([propose, new CyclicalGroup([segment, annotate, refine], 4, 'annotation loop')]).toDocument(
      'manual-in-cycle'
    );
  }
};

describe('the TypeScript API builds the same spec as the Python API', () => {
  for (const [name, build] of Object.entries(builders)) {
    it(`${name}: equal to the shared fixture, valid, and it compiles`, () => {
      const expected = fixture(name);
      assert.deepEqual(build(), expected);
      validateSpec(expected);
      const e = new Engine();
      const wf = e.submit(expected);
      assert.ok(e.nodesOf(wf).length > 0);
    });
  }
});
