// Tasks drawn in the graphical builder get the ids and names of tests/fixtures/node-ids/cases.json,
// the table the TypeScript and Python builders are checked against too.
import { readFileSync } from 'fs';
import { join } from 'path';

import { DefinitionModel } from '../document';

interface IIdCase {
  name: string;
  names: string[];
  ids: string[];
}
interface ITaskNameCase {
  name: string;
  code: string;
  given: string | null;
  displayName: string;
}

const FIXTURE = join(__dirname, '..', '..', '..', 'tests', 'fixtures', 'node-ids', 'cases.json');
const CASES = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { ids: IIdCase[]; taskNames: ITaskNameCase[] };

describe('the shared node-id cases', () => {
  it.each(CASES.ids.map(c => [c.name, c] as const))('ids: %s', (_name, c) => {
    const model = new DefinitionModel();
    const paths = c.names.map(name => model.addTask({ code: '/work/x.py', name }));
    expect(paths).toEqual(c.ids.map(id => `root/${id}`));
    expect(model.validate()).toEqual([]);
  });

  it.each(CASES.taskNames.map(c => [c.name, c] as const))('task names: %s', (_name, c) => {
    const model = new DefinitionModel();
    const path = model.addTask({ code: c.code, ...(c.given === null ? {} : { name: c.given }) });
    expect(path).toBe(`root/${c.displayName}`);
    expect(model.nodeAt(path)).toMatchObject({ kind: 'task', name: c.displayName });
  });
});
