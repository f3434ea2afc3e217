// PerQueue's ports: `{child: {parent: {"energy": "E"}}}` renames a parent's outputs into the
// child's arguments (perqueue/coordinator.py get_parents_data), through the spec and the engine.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine } from '../../core/engine.js';
import { SpecError } from '../../core/errors.js';
import { validateSpec, type NodeSpec, type Ports, type WorkflowNodeSpec } from '../../core/spec.js';
import { byName, cg, doc, dwg, runAll, swg, task } from './harness.js';

const ported = (nodes: WorkflowNodeSpec[]): NodeSpec => ({ kind: 'workflow', nodes });

/** A new engine with one workflow of these nodes (ports and all) submitted to it. */
function submitPorted(nodes: WorkflowNodeSpec[], name?: string): { e: Engine; wf: number } {
  const e = new Engine();
  return { e, wf: e.submit(doc(ported(nodes), name)) };
}

describe('ports', () => {
  it('only the named keys of a parent with ports arrive, renamed; a parent without ports passes all', () => {
    const { e } = submitPorted([
      { id: 'dft', node: task('dft'), parents: [] },
      { id: 'md', node: task('md'), parents: [] },
      { id: 'cmp', node: task('cmp', { own: 1 }), parents: ['dft', 'md'], ports: { dft: { energy: 'E_dft' } } }
    ]);
    const runs = runAll(e, { dft: () => ({ energy: -3.5, forces: [1] }), md: () => ({ energy: 7, t: 300 }) });
    // Without the port the two energies would be gathered into {id: value}; with it they do not collide.
    assert.deepEqual(runs.find(r => r.name === 'cmp')!.kwargs, { own: 1, E_dft: -3.5, energy: 7, t: 300 });
  });

  it("'None' as the source is the parent's first value; 'None' -> 'None' passes all its data", () => {
    const { e } = submitPorted([
      { id: 'a', node: task('a'), parents: [] },
      { id: 'b', node: task('b'), parents: [] },
      { id: 'c', node: task('c'), parents: ['a', 'b'], ports: { a: { None: 'first' }, b: { None: 'None' } } }
    ]);
    const runs = runAll(e, { a: () => ({ x: 1, y: 2 }), b: () => ({ z: 3 }) });
    assert.deepEqual(runs.find(r => r.name === 'c')!.kwargs, { first: 1, z: 3 });
  });

  it('ports into a width group reach every column; ports out of one rename each column', () => {
    const { e, wf } = submitPorted([
      { id: 'gen', node: task('gen'), parents: [] },
      { id: 'cols', node: swg(task('col'), 2), parents: ['gen'], ports: { gen: { seed: 's' } } },
      { id: 'join', node: task('join'), parents: ['cols'], ports: { cols: { v: 'value' } } }
    ]);
    const runs = runAll(e, { gen: () => ({ seed: 42, other: 1 }), col: kw => ({ v: (kw.pq_index as number[])[0] }) });
    for (const r of runs.filter(x => x.name === 'col'))
      assert.deepEqual(Object.keys(r.kwargs).sort(), ['pq_index', 's']);
    const cols = byName(e, wf, 'col');
    assert.deepEqual(runs.find(r => r.name === 'join')!.kwargs, { value: { [cols[0].id]: 0, [cols[1].id]: 1 } });
  });

  it('a port naming a key the parent never returned fails the child, naming workflow, task and field', () => {
    const { e, wf } = submitPorted(
      [
        { id: 'dft', node: task('dft'), parents: [] },
        { id: 'cmp', node: task('cmp'), parents: ['dft'], ports: { dft: { enrgy: 'E' } } },
        { id: 'after', node: task('after'), parents: ['cmp'] }
      ],
      'typo'
    );
    const runs = runAll(e, { dft: () => ({ energy: 1 }) });
    assert.deepEqual(
      runs.map(r => r.name),
      ['dft'],
      'the child never ran'
    );
    const [cmp] = byName(e, wf, 'cmp');
    assert.equal(cmp.state, 'failed');
    assert.match(
      cmp.error!,
      /^workflow 'typo', task 'cmp' \(root\/cmp\), field 'ports\.dft\.enrgy': the parent 'dft' \(entry \d+\) returned no 'enrgy' for the argument 'E' \(it returned: energy\)$/
    );
    assert.equal(byName(e, wf, 'after')[0].state, 'blocked');
  });

  it('ports out of a CyclicalGroup rename what its last iteration returned; out of a DynamicWidthGroup each column', () => {
    const { e } = submitPorted([
      { id: 'loop', node: cg(task('it'), 3), parents: [] },
      { id: 'after', node: task('after'), parents: ['loop'], ports: { loop: { v: 'value' } } }
    ]);
    let i = 0;
    const runs = runAll(e, { it: () => ({ v: ++i, pq_toggle_key: i >= 2 }) });
    assert.deepEqual(runs.find(r => r.name === 'after')!.kwargs, { value: 2 });

    const { e: e2, wf: wf2 } = submitPorted([
      { id: 'w', node: task('w'), parents: [] },
      { id: 'fan', node: dwg(task('col')), parents: ['w'] },
      { id: 'after', node: task('after'), parents: ['fan'], ports: { fan: { v: 'value' } } }
    ]);
    const runs2 = runAll(e2, {
      w: () => ({ pq_dwg_width: 2 }),
      col: kw => ({ v: (kw.pq_index as number[])[0], other: 1 })
    });
    const cols = byName(e2, wf2, 'col');
    assert.deepEqual(runs2.find(r => r.name === 'after')!.kwargs, { value: { [cols[0].id]: 0, [cols[1].id]: 1 } });
  });

  it('a DynamicWidthGroup reads its width through a port', () => {
    const { e, wf } = submitPorted([
      { id: 'count', node: task('count'), parents: [] },
      { id: 'fan', node: dwg(task('each')), parents: ['count'], ports: { count: { n: 'pq_dwg_width' } } }
    ]);
    runAll(e, { count: () => ({ n: 3 }) });
    assert.equal(byName(e, wf, 'each').length, 3);
  });

  it('refuses at submission a port from a manual step whose form never returns that key', () => {
    const form = { type: 'object', properties: { quality: { type: 'number' } }, additionalProperties: false };
    const bad = doc(
      ported([
        {
          id: 'label',
          node: { kind: 'manual', name: 'label', args: {}, form, onReject: 'discard' } as NodeSpec,
          parents: []
        },
        { id: 'use', node: task('use'), parents: ['label'], ports: { label: { qualty: 'q' } } }
      ]),
      'wf-form'
    );
    assert.throws(
      () => validateSpec(bad),
      (e: unknown) =>
        e instanceof SpecError &&
        /workflow 'wf-form'.*root\/use.*'ports\.label\.qualty'.*never returns 'qualty' \(it returns: quality\)/.test(
          e.message
        )
    );
    (bad.root as { nodes: WorkflowNodeSpec[] }).nodes[1].ports = { label: { quality: 'q' } };
    validateSpec(bad);
  });

  for (const [what, ports, field, says] of [
    ['a port from a node that is not a parent', { md: { energy: 'E' } }, 'ports.md', /'md' is not a parent/],
    [
      'an argument name that is not a string',
      { dft: { energy: 3 } },
      'ports.dft.energy',
      /argument name must be a non-empty string/
    ],
    ['ports that are not an object', { dft: ['energy'] }, 'ports.dft', /must be an object/]
  ] as const) {
    it(`refuses ${what} at submission, naming workflow, node and field`, () => {
      const bad = doc(
        ported([
          { id: 'dft', node: task('dft'), parents: [] },
          { id: 'md', node: task('md'), parents: [] },
          { id: 'cmp', node: task('cmp'), parents: ['dft'], ports: ports as never }
        ]),
        'wf-ports'
      );
      assert.throws(
        () => validateSpec(bad),
        (e: unknown) =>
          e instanceof SpecError &&
          e.message.includes("workflow 'wf-ports'") &&
          e.message.includes('root/cmp') &&
          e.message.includes(`'${field}'`) &&
          says.test(e.message)
      );
    });
  }
});

describe('TypeScript builders: ports and func', () => {
  it('a Map of parents with ports becomes the spec ports; func is written when it is not main', async () => {
    const { Task, Workflow } = await import('../../core/builder.js');
    const dft = new Task('/p/dft.py');
    const cmp = new Task('/p/cmp.py', null, undefined, { func: 'compare' });
    const plain = new Task('/p/cmp.py', null, undefined, { func: 'main', name: 'plain' });
    const body = new Map<
      InstanceType<typeof Task>,
      InstanceType<typeof Task>[] | Map<InstanceType<typeof Task>, Ports>
    >([
      [cmp, new Map([[dft, { energy: 'E' }]])],
      [plain, [dft]]
    ]);
    const spec = new Workflow(body).toSpec() as { nodes: WorkflowNodeSpec[] };
    assert.deepEqual(
      spec.nodes.map(n => [n.id, n.parents, n.ports]),
      [
        ['cmp.py', ['dft.py'], { 'dft.py': { energy: 'E' } }],
        ['plain', ['dft.py'], undefined],
        ['dft.py', [], undefined]
      ]
    );
    assert.equal((spec.nodes[0].node as { func?: string }).func, 'compare');
    assert.equal((spec.nodes[1].node as { func?: string }).func, undefined);
    assert.throws(
      () => new Task('/p/x.py', null, undefined, { func: 'not a name' }),
      /field 'func': expected the name of a Python function/
    );
    assert.throws(() => new Workflow(new Map([[cmp, new Map([[dft, { energy: '' }]])]])), /needs an argument name/);
  });
});
