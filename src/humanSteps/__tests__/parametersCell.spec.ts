// The notebook toolbar finds its step in every injected cell the bridge and the Python runner
// write: the shared cases of tests/fixtures/notebooks/parameters-cell.json (docs/contracts.md §6).
import { readFileSync } from 'fs';
import { join } from 'path';
import { readInjectedParameters } from '../steps';

interface ICase {
  name: string;
  entryId: number;
  source: string;
}

const FIXTURE = join(__dirname, '..', '..', '..', 'tests', 'fixtures', 'notebooks', 'parameters-cell.json');
const { cases } = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { cases: ICase[] };

describe('the shared parameters-cell cases', () => {
  it.each(cases.map(c => [c.name, c] as const))('reads the entry id: %s', (_name, c) => {
    const cell = { cell_type: 'code', metadata: { tags: ['injected-parameters'] }, source: c.source };
    expect(readInjectedParameters([cell])).toEqual({ entryId: c.entryId, project: null });
  });

  it('finds the cell by its header when the tag was lost', () => {
    const [first] = cases;
    expect(readInjectedParameters([{ cell_type: 'code', source: first.source }])?.entryId).toBe(first.entryId);
  });
});
