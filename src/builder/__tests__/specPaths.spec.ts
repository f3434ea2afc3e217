// The graphical builder names drawn items, edges and saved positions with the spec paths of
// tests/fixtures/spec-paths/cases.json, and finds each node again by its path, also when ids and
// branch keys hold '/' or '%'.
import { readFileSync } from 'fs';
import { join } from 'path';

import { DefinitionModel } from '../document';

interface IPlace {
  path: string;
  kind: string;
  name?: string;
}

const FIXTURE = join(__dirname, '..', '..', '..', 'tests', 'fixtures', 'spec-paths', 'cases.json');
const CASES = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { root: unknown; places: IPlace[]; nowhere: string[] };
const model = () => DefinitionModel.fromText(JSON.stringify({ specVersion: 1, name: 'paths', root: CASES.root }));

describe('the shared spec-path cases', () => {
  it.each(CASES.places.map(p => [p.path, p] as const))('%s names its node', (_path, place) => {
    const node = model().nodeAt(place.path);
    expect(node?.kind).toBe(place.kind);
    if (place.name) {
      expect(node?.name).toBe(place.name);
    }
  });

  it.each(CASES.nowhere)('%s names no node', path => {
    expect(model().nodeAt(path)).toBeUndefined();
  });

  it('draws items under the paths of the table, and edges between them', () => {
    const m = model();
    const known = new Set(CASES.places.map(p => p.path));
    const drawn = m.items().map(i => i.path);
    expect(drawn.filter(p => !known.has(p))).toEqual([]);
    expect(drawn).toContain('root/fit%2Frelax');
    expect(drawn).toContain('root/SWG/body/SG/branch:x%2Fy');
    expect(m.edges().map(e => e.id)).toContain('root/prep.py->root/fit%2Frelax');
    expect(m.validate()).toEqual([]);
  });

  it('connects and groups items whose ids hold a slash', () => {
    const m = model();
    m.connect('root/50%25', 'root/fit%2Frelax');
    expect(m.nodeAt('root')).toMatchObject({
      nodes: expect.arrayContaining([expect.objectContaining({ id: 'fit/relax', parents: ['prep.py', '50%'] })])
    });
    expect(m.validate()).toEqual([]);
  });

  it('keeps positions saved under the paths written before ids were escaped', () => {
    const layout = {
      positions: {
        'root/fit/relax': { x: 10, y: 20 },
        'root/SWG/body/SG/branch:x/y': { x: 30, y: 40 },
        'root/prep.py': { x: 1, y: 2 }
      }
    };
    const m = DefinitionModel.fromText(JSON.stringify({ specVersion: 1, name: 'paths', root: CASES.root, layout }));
    expect(m.positions()).toEqual({
      'root/fit%2Frelax': { x: 10, y: 20 },
      'root/SWG/body/SG/branch:x%2Fy': { x: 30, y: 40 },
      'root/prep.py': { x: 1, y: 2 }
    });
  });
});
