// The builder's document model: a definition opened and saved comes back unchanged apart from
// `layout`, and one drawn with the builder's edits equals the one written in Python
// (tests/fixtures/specs, made by build_fixtures.py with perqueue_lab).
import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';

import { BuilderError, DefinitionModel } from '../document';

const FIXTURES = join(__dirname, '..', '..', '..', 'tests', 'fixtures', 'specs');
const fixture = (name: string) => JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8'));
const fixtureNames = readdirSync(FIXTURES)
  .filter(f => f.endsWith('.json'))
  .map(f => f.replace(/\.json$/, ''));

const task = (m: DefinitionModel, file: string, extra: Record<string, unknown> = {}) =>
  m.addTask({ code: `/fixture/${file}`, ...extra });
/** Tasks added one after another, each depending on the one before; their paths. */
const chain = (m: DefinitionModel, ...files: string[]) => {
  const paths = files.map(file => task(m, file));
  paths.slice(1).forEach((path, i) => m.connect(paths[i], path));
  return paths;
};

describe('a definition file opened in the builder', () => {
  it.each(fixtureNames)('%s is saved back unchanged apart from layout', name => {
    const text = readFileSync(join(FIXTURES, `${name}.json`), 'utf8');
    const model = DefinitionModel.fromText(text);
    const positions = Object.fromEntries(model.items().map((item, i) => [item.path, { x: i * 10, y: i * 20 }]));
    model.setPositions(positions);
    const saved = JSON.parse(model.toText());
    expect(saved.layout.positions).toEqual(positions);
    delete saved.layout;
    expect(saved).toEqual(fixture(name));
    expect(model.toSpec()).toEqual(fixture(name));
    expect(model.validate()).toEqual([]);
  });

  it('draws every task and group, with edges between siblings', () => {
    const model = DefinitionModel.fromText(JSON.stringify(fixture('swg_switch')));
    const items = model.items();
    expect(items.map(i => [i.path, i.label, i.parent])).toEqual([
      ['root/setup.py', 'setup.py', null],
      ['root/SWG', 'SWG ×2', null],
      ['root/SWG/body/check.py', 'check.py', 'root/SWG'],
      ['root/SWG/body/SG', 'SG', 'root/SWG'],
      ['root/SWG/body/SG/branch:3', '3', 'root/SWG/body/SG'],
      ['root/SWG/body/SG/branch:3/relax.py', 'relax.py', 'root/SWG/body/SG/branch:3'],
      ['root/SWG/body/SG/branch:3/analyse.py', 'analyse.py', 'root/SWG/body/SG/branch:3'],
      ['root/SWG/body/SG/branch:lammps', 'lammps: md.py', 'root/SWG/body/SG'],
      ['root/SWG/body/SG/branch:skip_MD', 'skip_MD: skip_md.py', 'root/SWG/body/SG'],
      ['root/report.py', 'report.py', null]
    ]);
    expect(model.edges().map(e => `${e.source} -> ${e.target}`)).toEqual([
      'root/setup.py -> root/SWG',
      'root/SWG -> root/report.py',
      'root/SWG/body/check.py -> root/SWG/body/SG',
      'root/SWG/body/SG/branch:3/relax.py -> root/SWG/body/SG/branch:3/analyse.py'
    ]);
  });
});

describe('a definition drawn in the builder equals the one written in Python', () => {
  it('chain: three tasks connected one after another', () => {
    const m = DefinitionModel.fromText('', 'chain');
    const a = task(m, 'apply_strain.py', { args: { strain: 0.02 } });
    const b = task(m, 'preneb.py', { resources: '8:xeon8:2h', retries: 1 });
    const c = task(m, 'neb.py', {
      name: 'neb',
      args: { images: 7 },
      resources: '24:1:xeon24el8:2d',
      preamble: 'module load vasp'
    });
    m.connect(a, b);
    m.connect(b, c);
    expect(m.toSpec()).toEqual(fixture('chain'));
  });

  it('diamond: one root, two branches, one join', () => {
    const m = DefinitionModel.fromText('', 'diamond');
    const prepare = task(m, 'prepare.py', { args: { n: 10 } });
    const left = task(m, 'relax.py', { name: 'relax-bfgs', args: { method: 'bfgs' } });
    const right = task(m, 'relax.py', { args: { method: 'fire' } });
    const join = task(m, 'compare.py');
    m.setField(right, 'name', 'relax-fire');
    m.connect(prepare, left);
    m.connect('root/prepare.py', 'root/relax-fire');
    m.connect(left, join);
    m.connect('root/relax-fire', join);
    m.setPorts('root/prepare.py', 'root/relax-fire', { out: 'in' });
    m.setField(join, 'func', 'compare_all');
    expect(m.toSpec()).toEqual(fixture('diamond'));
  });

  it('ports follow their dependency through renames, removal, grouping and ungrouping', () => {
    const m = DefinitionModel.fromText('', 'ports');
    const [a, b, c] = chain(m, 'a.py', 'b.py', 'c.py');
    m.setPorts(a, b, { energy: 'E' });
    m.setPorts(b, c, { x: 'y' });
    expect(() => m.setPorts(a, c, { x: 'y' })).toThrow(BuilderError);
    expect(() => m.setPorts(a, b, { x: '' })).toThrow(/argument name/);
    // A port on an edge that would cross the group's border is refused, not lost.
    expect(() => m.wrap([b], { kind: 'static_width', width: 2 })).toThrow(
      /has ports and would cross the group's border/
    );
    m.setPorts(b, c, null);
    const wrapped = m.wrap([a, b], { kind: 'static_width', width: 2 });
    const body = (m.toSpec().root as { nodes: { node: { body: { nodes: { id: string; ports?: unknown }[] } } }[] })
      .nodes[0].node.body;
    expect(body.nodes.find(n => n.id === 'b.py')!.ports).toEqual({ 'a.py': { energy: 'E' } });
    m.setPorts(wrapped, 'root/c.py', { x: 'y' });
    m.unwrap(wrapped);
    const nodes = (m.toSpec().root as { nodes: { id: string; ports?: unknown }[] }).nodes;
    expect(nodes.find(n => n.id === 'b.py')!.ports).toEqual({ 'a.py': { energy: 'E' } });
    expect(nodes.find(n => n.id === 'c.py')!.ports).toEqual({ 'b.py': { x: 'y' } });
    m.setField('root/a.py', 'name', 'first');
    expect(
      (m.toSpec().root as { nodes: { id: string; ports?: unknown }[] }).nodes.find(n => n.id === 'b.py')!.ports
    ).toEqual({ first: { energy: 'E' } });
    m.remove(['root/first']);
    expect(
      (m.toSpec().root as { nodes: { id: string; ports?: unknown }[] }).nodes.find(n => n.id === 'b.py')!.ports
    ).toBeUndefined();
    expect(m.validate()).toEqual([]);
  });

  it('swg_chain: a chain wrapped into a StaticWidthGroup, then a join', () => {
    const m = DefinitionModel.fromText('', 'swg-chain');
    const g = task(m, 'generate.py');
    const t = task(m, 'train.py', { args: { epochs: 5 } });
    const collect = task(m, 'collect.py');
    m.connect(g, t);
    m.connect(t, collect);
    const swg = m.wrap([g, t], { kind: 'static_width', width: 3 });
    expect(swg).toBe('root/SWG');
    expect(m.toSpec()).toEqual(fixture('swg_chain'));
  });

  it('active_learning: dynamic width groups inside a cyclical group', () => {
    const m = DefinitionModel.fromText('', 'active-learning');
    const train0 = task(m, 'train.py', { args: { epochs: 100 }, resources: '8:sm3090el8:3h' });
    const simulate = task(m, 'simulate.py', { resources: '8:xeon8:1h' });
    const select = task(m, 'al_select.py');
    const label = task(m, 'labeling.py', { resources: '24:xeon24el8:2h' });
    const train = task(m, 'train.py', { args: { epochs: 20 }, resources: '8:sm3090el8:3h' });
    expect(train).toBe('root/train.py-2');
    m.connect(train0, simulate);
    m.connect(simulate, select);
    m.connect(select, label);
    m.connect(label, train);
    const dwg1 = m.wrap([simulate], { kind: 'dynamic_width' });
    const dwg2 = m.wrap(['root/labeling.py'], { kind: 'dynamic_width' });
    expect([dwg1, dwg2]).toEqual(['root/DWG', 'root/DWG-2']);
    m.wrap([dwg1, 'root/al_select.py', dwg2, 'root/train.py-2'], { kind: 'cyclical', maxTries: 10 });
    expect(m.toSpec()).toEqual(fixture('active_learning'));
  });

  it('swg_switch: connected items become one branch of a SwitchGroup', () => {
    const m = DefinitionModel.fromText('', 'swg-switch');
    const setup = task(m, 'setup.py');
    const check = task(m, 'check.py');
    const md = task(m, 'md.py', { args: { steps: 1000 }, resources: '4:1h' });
    const skip = task(m, 'skip_md.py');
    const relax = task(m, 'relax.py');
    const analyse = task(m, 'analyse.py');
    const report = task(m, 'report.py');
    m.connect(setup, check);
    for (const branch of [md, skip, relax]) {
      m.connect(check, branch);
    }
    m.connect(relax, analyse);
    const sg = m.wrap([md, skip, relax, analyse], { kind: 'switch', keys: ['lammps', 'skip_MD', '3'] });
    const swg = m.wrap([check, sg], { kind: 'static_width', width: 2 });
    m.connect(swg, report);
    expect(m.toSpec()).toEqual(fixture('swg_switch'));
  });

  it('manual_in_cycle: a manual step inside a named cyclical group', () => {
    const m = DefinitionModel.fromText('', 'manual-in-cycle');
    const propose = task(m, 'propose.py', { args: { images: ['a.png', 'b.png'] } });
    const segment = task(m, 'segment.py', { resources: '1:local:30m' });
    const annotate = m.addManual('annotate', '/fixture/annotate.ipynb');
    m.setField(annotate, 'args', { hint: 'mark the cell borders' });
    m.setField(annotate, 'form', { type: 'object', properties: { quality: { type: 'number' } } });
    m.setField(annotate, 'timeout', 3600);
    m.setField(annotate, 'default', { quality: 0.5 });
    m.setField(annotate, 'onReject', 'fail');
    const refine = task(m, 'refine.py');
    m.connect(propose, segment);
    m.connect(segment, annotate);
    m.connect(annotate, refine);
    const loop = m.wrap([segment, annotate, refine], { kind: 'cyclical', maxTries: 4 });
    m.setField(loop, 'name', 'annotation loop');
    expect(m.toSpec()).toEqual(fixture('manual_in_cycle'));
  });
});

describe('editing', () => {
  it('refuses a dependency cycle and explains the alternative', () => {
    const m = DefinitionModel.fromText('', 'wf');
    const a = task(m, 'a.py');
    const b = task(m, 'b.py');
    m.connect(a, b);
    expect(() => m.connect(b, a)).toThrow(/CyclicalGroup/);
  });

  it('connects items in different groups through the groups holding them', () => {
    const m = DefinitionModel.fromText('', 'wf');
    const a = task(m, 'a.py');
    const b = task(m, 'b.py');
    const g = m.wrap([b], { kind: 'static_width', width: 2 });
    m.connect(a, `${g}/body`);
    expect(m.edges().map(e => [e.source, e.target])).toEqual([['root/a.py', 'root/SWG']]);
  });

  it('ungroups back to the original items and dependencies', () => {
    const m = DefinitionModel.fromText('', 'wf');
    const [, b] = chain(m, 'a.py', 'b.py', 'c.py');
    const before = m.toSpec();
    m.unwrap(m.wrap([b], { kind: 'cyclical', maxTries: 3 }));
    expect(m.toSpec()).toEqual(before);
  });

  it('switch keys must match the branches', () => {
    const m = DefinitionModel.fromText('', 'wf');
    const a = task(m, 'a.py');
    const b = task(m, 'b.py');
    expect(() => m.wrap([a, b], { kind: 'switch', keys: ['x'] })).toThrow(BuilderError);
    expect(() => m.wrap([a, b], { kind: 'switch', keys: ['x', 'pq_skip_route'] })).toThrow(/reserved/);
  });

  it('live validation names the item and the field', () => {
    const m = DefinitionModel.fromText('', 'wf');
    expect(m.validate().map(p => p.message)).toEqual(['a workflow needs at least one node']);
    const a = task(m, 'a.py');
    m.setField(a, 'resources', '1:nowhere:forever');
    m.setField(a, 'retries', -1);
    const problems = m.validate();
    expect(problems.map(p => [p.path, p.field])).toEqual([[a, 'resources']]);
    m.setField(a, 'resources', '1:10m');
    expect(m.validate().map(p => [p.path, p.field])).toEqual([[a, 'retries']]);
    m.setField(a, 'retries', 0);
    const sg = m.wrap([a], { kind: 'switch', keys: ['k'] });
    expect(m.validate()).toEqual([
      expect.objectContaining({ path: sg, node: sg, message: expect.stringContaining('needs parents') })
    ]);
  });

  it('the layout is kept in the file and left out of the spec', () => {
    const m = DefinitionModel.fromText('', 'wf');
    const a = task(m, 'a.py');
    m.setPositions({ [a]: { x: 10.4, y: 20.6 } });
    expect(JSON.parse(m.toText()).layout).toEqual({ positions: { [a]: { x: 10, y: 21 } } });
    expect('layout' in m.toSpec()).toBe(false);
    m.setField(a, 'name', 'renamed');
    expect(JSON.parse(m.toText()).layout).toEqual({ positions: {} });
  });
});
