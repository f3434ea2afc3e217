// validateSpec: one test per way a spec is refused. Each checks the place the error names
// (workflow, node path, field) and that the message says what is wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpecError, type Place } from '../../core/errors.js';
import { validateSpec, type ValidateOptions } from '../../core/spec.js';

type Obj = Record<string, unknown>;

const task = (name = 'train.py', extra: Obj = {}): Obj => ({
  kind: 'task',
  name,
  code: `/abs/${name}`,
  args: {},
  resources: '1:local:10m',
  ...extra
});
const manual = (extra: Obj = {}): Obj => ({ kind: 'manual', name: 'label', args: {}, onReject: 'discard', ...extra });
const wf = (nodes: Obj[], name?: string): Obj => ({ kind: 'workflow', ...(name ? { name } : {}), nodes });
const item = (id: string, node: Obj, parents: string[] = []): Obj => ({ id, node, parents });
const doc = (root: unknown, extra: Obj = {}): Obj => ({ specVersion: 1, name: 'wf1', root, ...extra });
/** A root workflow where `node` runs after a task, so groups that read parents' data are allowed. */
const after = (node: Obj, id = 'g'): Obj => wf([item('first', task('first.py')), item(id, node, ['first'])]);

function rejects(d: unknown, place: Place, says: RegExp, opts?: ValidateOptions): SpecError {
  let caught: unknown;
  try {
    validateSpec(d, opts);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof SpecError, `expected a SpecError, got ${String(caught)}`);
  assert.equal(caught.place.workflow, place.workflow, 'workflow');
  assert.equal(caught.place.node, place.node, 'node');
  assert.equal(caught.place.field, place.field, 'field');
  assert.match(caught.problem, says);
  // The message repeats the place so that it reads on its own in a log or a dialog.
  if (place.node !== undefined) assert.ok(caught.message.includes(`node '${place.node}'`), caught.message);
  if (place.field !== undefined) assert.ok(caught.message.includes(`field '${place.field}'`), caught.message);
  return caught;
}

test('a valid spec is accepted unchanged', () => {
  const d = doc(
    wf([
      item('prep', task('prep.py', { retries: 2, preamble: 'module load x', args: { n: 1, xs: [1.5, 'a', null] } })),
      item(
        'swg',
        { kind: 'static_width', width: 3, body: wf([item('a', task('a.py')), item('b', task('b.py'), ['a'])]) },
        ['prep']
      ),
      item('dwg', { kind: 'dynamic_width', body: task('sim.py') }, ['swg']),
      item('cg', { kind: 'cyclical', maxTries: 4, body: task('fit.py') }, ['dwg']),
      item('sg', { kind: 'switch', branches: { x: task('x.py'), y: manual({ timeout: 60, default: { ok: true } }) } }, [
        'cg'
      ])
    ])
  );
  assert.equal(validateSpec(d, { pathExists: () => true }), d);
});

test('wrong specVersion', () => {
  rejects(
    doc(task(), { specVersion: 2 }),
    { workflow: 'wf1', field: 'specVersion' },
    /unsupported spec version 2.*reads 1/
  );
  rejects(doc(task(), { specVersion: '1' }), { workflow: 'wf1', field: 'specVersion' }, /unsupported spec version "1"/);
});

test('no name', () => {
  rejects({ specVersion: 1, root: task() }, { field: 'name' }, /needs a non-empty name/);
  rejects(doc(task(), { name: '  ' }), { field: 'name' }, /needs a non-empty name/);
});

test('not an object at all', () => {
  rejects([task()], {}, /must be a JSON object/);
});

test('unknown kind', () => {
  rejects(
    doc(wf([item('a', { kind: 'Task', name: 'a' })])),
    { workflow: 'wf1', node: 'root/a', field: 'kind' },
    /unknown kind "Task"/
  );
});

test('task without a code path, or with a relative one', () => {
  rejects(
    doc(task('a.py', { code: undefined })),
    { workflow: 'wf1', node: 'root', field: 'code' },
    /needs the path of its script/
  );
  rejects(
    doc(task('a.py', { code: 'scripts/a.py' })),
    { workflow: 'wf1', node: 'root', field: 'code' },
    /must be absolute.*'scripts\/a\.py'/
  );
});

test('task code that does not exist (injected pathExists)', () => {
  const seen: string[] = [];
  const pathExists = (p: string) => (seen.push(p), p !== '/abs/gone.py');
  rejects(
    doc(wf([item('ok', task('ok.py')), item('gone', task('gone.py'), ['ok'])])),
    { workflow: 'wf1', node: 'root/gone', field: 'code' },
    /'\/abs\/gone\.py' does not exist/,
    { pathExists }
  );
  assert.deepEqual(seen, ['/abs/ok.py', '/abs/gone.py']);
});

test('args not an object', () => {
  rejects(
    doc(task('a.py', { args: [1, 2] })),
    { workflow: 'wf1', node: 'root', field: 'args' },
    /args must be a JSON object/
  );
  rejects(
    doc(task('a.py', { args: null })),
    { workflow: 'wf1', node: 'root', field: 'args' },
    /args must be a JSON object/
  );
});

test('args with a non-finite number', () => {
  rejects(
    doc(task('a.py', { args: { ok: 1, lr: Number.NaN } })),
    { workflow: 'wf1', node: 'root', field: 'args.lr' },
    /not JSON.*finite/
  );
  rejects(
    doc(task('a.py', { args: { deep: { xs: [1, Infinity] } } })),
    { workflow: 'wf1', node: 'root', field: 'args.deep' },
    /finite/
  );
});

test('bad resources string', () => {
  const e = rejects(
    doc(task('a.py', { resources: '1:10x' })),
    { workflow: 'wf1', node: 'root', field: 'resources' },
    /bad resource string '1:10x'/
  );
  assert.ok(e.message.includes("'1:10x'"));
  rejects(
    doc(task('a.py', { resources: 4 })),
    { workflow: 'wf1', node: 'root', field: 'resources' },
    /must be a string such as/
  );
});

test('keepProcesses is true or false', () => {
  assert.doesNotThrow(() => validateSpec(doc(task('a.py', { keepProcesses: true }))));
  rejects(
    doc(task('a.py', { keepProcesses: 'yes' })),
    { workflow: 'wf1', node: 'root', field: 'keepProcesses' },
    /true or false/
  );
});

test('negative or fractional retries', () => {
  rejects(
    doc(task('a.py', { retries: -1 })),
    { workflow: 'wf1', node: 'root', field: 'retries' },
    /whole number of at least 0/
  );
  rejects(
    doc(task('a.py', { retries: 1.5 })),
    { workflow: 'wf1', node: 'root', field: 'retries' },
    /whole number of at least 0/
  );
});

test('workflow with duplicate ids', () => {
  rejects(
    doc(wf([item('a', task('a.py')), item('a', task('b.py'))])),
    { workflow: 'wf1', node: 'root', field: 'nodes[1].id' },
    /'a' is used twice/
  );
});

test('workflow node without an id', () => {
  rejects(
    doc(wf([item('a', task('a.py')), { node: task('b.py'), parents: [] }])),
    { workflow: 'wf1', node: 'root', field: 'nodes[1].id' },
    /needs a string id/
  );
});

test('unknown parent', () => {
  rejects(
    doc(wf([item('a', task('a.py')), item('b', task('b.py'), ['c'])])),
    { workflow: 'wf1', node: 'root/b', field: 'parents' },
    /unknown parent 'c'/
  );
});

test('self-dependency', () => {
  rejects(
    doc(wf([item('a', task('a.py'), ['a'])])),
    { workflow: 'wf1', node: 'root/a', field: 'parents' },
    /cannot depend on itself/
  );
});

test('a cycle a -> b -> c -> a names its path', () => {
  const d = doc(
    wf([
      item('x', task('x.py')),
      item('a', task('a.py'), ['x', 'c']),
      item('b', task('b.py'), ['a']),
      item('c', task('c.py'), ['b'])
    ])
  );
  const e = rejects(d, { workflow: 'wf1', node: 'root', field: 'nodes' }, /cycle/);
  assert.match(e.problem, /a -> b -> c -> a/);
});

test('a cycle inside a nested workflow names the nested place', () => {
  const inner = wf([item('p', task('p.py'), ['q']), item('q', task('q.py'), ['p'])]);
  rejects(
    doc(wf([item('first', task('first.py')), item('inner', inner, ['first'])])),
    { workflow: 'wf1', node: 'root/inner', field: 'nodes' },
    /cycle: (p -> q -> p|q -> p -> q)/
  );
});

test('StaticWidthGroup width 0 or 2.5', () => {
  for (const width of [0, 2.5, -1, '3']) {
    rejects(
      doc({ kind: 'static_width', width, body: task() }),
      { workflow: 'wf1', node: 'root', field: 'width' },
      new RegExp(`whole width of at least 1, got ${JSON.stringify(width).replace(/[.]/g, '\\.')}`)
    );
  }
});

test('CyclicalGroup maxTries 0', () => {
  rejects(
    doc({ kind: 'cyclical', maxTries: 0, body: task() }),
    { workflow: 'wf1', node: 'root', field: 'maxTries' },
    /max_tries must be a whole number of at least 1, got 0/
  );
});

test('DynamicWidthGroup without parents at top level', () => {
  rejects(
    doc(wf([item('d', { kind: 'dynamic_width', body: task() }), item('t', task('t.py'), ['d'])])),
    { workflow: 'wf1', node: 'root/d' },
    /DynamicWidthGroup needs parents.*pq_dwg_width/
  );
  rejects(doc({ kind: 'dynamic_width', body: task() }), { workflow: 'wf1', node: 'root' }, /needs parents/);
  // The first node of a static group's column has the group's own parents: none here.
  rejects(
    doc({ kind: 'static_width', width: 2, body: { kind: 'dynamic_width', name: 'inner', body: task() } }),
    { workflow: 'wf1', node: 'root/body' },
    /needs parents/
  );
});

test('DynamicWidthGroup whose enclosing workflow node has parents is accepted', () => {
  const inner = wf([item('d', { kind: 'dynamic_width', body: task('sim.py') }), item('t', task('t.py'), ['d'])]);
  const d = doc(wf([item('first', task('first.py')), item('inner', inner, ['first'])]));
  assert.equal(validateSpec(d), d);
  // Also inside a cyclical group that has parents (the CPAINN / ACE shape).
  const cg = {
    kind: 'cyclical',
    maxTries: 3,
    body: wf([item('dwg', { kind: 'dynamic_width', body: task('label.py') }), item('train', task('train.py'), ['dwg'])])
  };
  assert.doesNotThrow(() => validateSpec(doc(after(cg))));
});

test('SwitchGroup without parents', () => {
  rejects(
    doc({ kind: 'switch', branches: { a: task('a.py') } }),
    { workflow: 'wf1', node: 'root' },
    /SwitchGroup needs parents.*pq_switch_key/
  );
});

test('SwitchGroup with no branches', () => {
  rejects(
    doc(after({ kind: 'switch', branches: {} })),
    { workflow: 'wf1', node: 'root/g', field: 'branches' },
    /at least one branch/
  );
});

test('empty SwitchGroup branch', () => {
  rejects(
    doc(after({ kind: 'switch', branches: { a: task('a.py'), none: wf([]) } })),
    { workflow: 'wf1', node: 'root/g/branch:none', field: 'nodes' },
    /at least one node/
  );
  rejects(
    doc(after({ kind: 'switch', branches: { a: task('a.py'), none: null } })),
    { workflow: 'wf1', node: 'root/g/branch:none' },
    /expected a task or group object/
  );
});

test("the reserved 'pq_skip_route' branch key", () => {
  rejects(
    doc(after({ kind: 'switch', branches: { pq_skip_route: task('a.py') } })),
    { workflow: 'wf1', node: 'root/g/branch:pq_skip_route', field: 'branches' },
    /'pq_skip_route' is reserved/
  );
});

test('manual task with a bad onReject', () => {
  rejects(
    doc(after(manual({ onReject: 'ignore' }))),
    { workflow: 'wf1', node: 'root/g', field: 'onReject' },
    /onReject must be 'discard' or 'fail', got "ignore"/
  );
  rejects(
    doc(after(manual({ onReject: undefined }))),
    { workflow: 'wf1', node: 'root/g', field: 'onReject' },
    /onReject must be/
  );
});

test('manual task with a bad timeout', () => {
  for (const timeout of [0, -5, '60', Number.NaN, Infinity]) {
    rejects(
      doc(after(manual({ timeout }))),
      { workflow: 'wf1', node: 'root/g', field: 'timeout' },
      /positive number of seconds/
    );
  }
});

test('manual task with a relative notebook or a default that is not an object', () => {
  rejects(
    doc(after(manual({ notebook: 'label.ipynb' }))),
    { workflow: 'wf1', node: 'root/g', field: 'notebook' },
    /absolute path/
  );
  rejects(doc(after(manual({ default: [1] }))), { workflow: 'wf1', node: 'root/g', field: 'default' }, /JSON object/);
});

test('manual task whose form uses a keyword we do not enforce, or a malformed one', () => {
  const form = (f: Obj) => doc(after(manual({ form: f })));
  rejects(
    form({ type: 'object', oneOf: [] }),
    { workflow: 'wf1', node: 'root/g', field: 'form.oneOf' },
    /the keyword 'oneOf' is not supported in a form; supported: type, properties/
  );
  rejects(
    form({ type: 'object', properties: { labels: { type: 'array', items: { type: 'number', multipleOf: 1 } } } }),
    { workflow: 'wf1', node: 'root/g', field: 'form.properties.labels.items.multipleOf' },
    /'multipleOf' is not supported/
  );
  rejects(
    form({ properties: { q: { type: 'float' } } }),
    { workflow: 'wf1', node: 'root/g', field: 'form.properties.q.type' },
    /unknown type "float"/
  );
  rejects(form({ required: 'q' }), { workflow: 'wf1', node: 'root/g', field: 'form.required' }, /list of field names/);
  rejects(form({ type: 'array' }), { workflow: 'wf1', node: 'root/g', field: 'form.type' }, /must allow 'object'/);
  rejects(
    form({ anyOf: [], allOf: [] }),
    { workflow: 'wf1', node: 'root/g', field: 'form.anyOf' },
    /'anyOf' is not supported.*\(and 1 more problem in the form\)$/
  );
  rejects(
    form([] as unknown as Obj),
    { workflow: 'wf1', node: 'root/g', field: 'form' },
    /must be a JSON Schema object/
  );
});

test("manual task whose default does not match its form (the default stands in for a person's answer)", () => {
  const f = {
    type: 'object',
    required: ['quality'],
    properties: {
      quality: { type: 'number', minimum: 0, maximum: 1 },
      labels: { type: 'array', items: { type: 'integer' } }
    }
  };
  const withDefault = (d: Obj) => doc(after(manual({ form: f, timeout: 60, default: d })));
  rejects(
    withDefault({ quality: 'good' }),
    { workflow: 'wf1', node: 'root/g', field: 'default' },
    /^the default does not match the form: default\.quality: expected a number, got "good"$/
  );
  rejects(
    withDefault({ labels: [1, 'x'] }),
    { workflow: 'wf1', node: 'root/g', field: 'default' },
    /default: missing required field 'quality'; default\.labels\[1\]: expected an integer, got "x"/
  );
  rejects(
    withDefault({ quality: 3 }),
    { workflow: 'wf1', node: 'root/g', field: 'default' },
    /default\.quality: must be at most 1, got 3/
  );
  assert.ok(validateSpec(withDefault({ quality: 0.5, labels: [1] })));
  assert.ok(
    validateSpec(doc(after(manual({ default: { anything: 'goes' } })))),
    'without a form any default object is accepted'
  );
});

test('an empty root workflow', () => {
  rejects(doc(wf([])), { workflow: 'wf1', node: 'root', field: 'nodes' }, /at least one node/);
  rejects(
    doc(wf([item('a', task('a.py')), item('b', { kind: 'static_width', width: 2, body: wf([]) }, ['a'])])),
    { workflow: 'wf1', node: 'root/b/body', field: 'nodes' },
    /at least one node/
  );
});

test('a node that is not an object, and a group with an empty name', () => {
  rejects(
    doc(wf([item('a', 'train.py' as unknown as Obj)])),
    { workflow: 'wf1', node: 'root/a' },
    /expected a task or group object/
  );
  rejects(
    doc({ kind: 'static_width', name: '', width: 2, body: task() }),
    { workflow: 'wf1', node: 'root', field: 'name' },
    /non-empty string/
  );
});
