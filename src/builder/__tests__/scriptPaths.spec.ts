// Script paths in a definition document: stored relative to the document's folder, resolved
// against its absolute folder for submitting; absolute paths of older documents kept as they are.
import { DefinitionModel } from '../document';
import {
  folderOf,
  fromRootRelative,
  normalizePath,
  relativePath,
  resolveScriptPath,
  scriptPaths,
  storedScriptPath
} from '../../../core/scriptPaths.js';

describe('normalizePath', () => {
  it.each([
    ['a/./b//c/../d', 'a/b/d'],
    ['/x/y/../z', '/x/z'],
    ['../a', '../a'],
    ['a/../../b', '../b'],
    ['/..', '/'],
    ['', '']
  ])('%s → %s', (input, output) => expect(normalizePath(input)).toBe(output));
});

describe('folderOf', () => {
  it.each([
    ['defs/w.pqwf.json', 'defs'],
    ['w.pqwf.json', ''],
    ['/abs/w.pqwf.json', '/abs'],
    ['/w.pqwf.json', '/']
  ])('%s → %s', (input, output) => expect(folderOf(input)).toBe(output));
});

describe('the path a picked script is stored with', () => {
  it('is the bare name for a script beside the document', () => {
    expect(storedScriptPath('proj/script.py', 'proj/w.pqwf.json')).toBe('script.py');
    expect(storedScriptPath('script.py', 'w.pqwf.json')).toBe('script.py');
  });
  it('goes down into subfolders', () => {
    expect(storedScriptPath('proj/sub/script.py', 'proj/w.pqwf.json')).toBe('sub/script.py');
    expect(storedScriptPath('sub/deeper/s.py', 'w.pqwf.json')).toBe('sub/deeper/s.py');
  });
  it('climbs with .. to folders above or beside', () => {
    expect(storedScriptPath('x.py', 'proj/w.pqwf.json')).toBe('../x.py');
    expect(storedScriptPath('other/x.py', 'proj/defs/w.pqwf.json')).toBe('../../other/x.py');
    expect(storedScriptPath('proj/lib/x.py', 'proj/defs/w.pqwf.json')).toBe('../lib/x.py');
  });
  it('does not confuse folders that share a prefix', () => {
    expect(relativePath('pro', 'proj/x.py')).toBe('../proj/x.py');
  });
});

describe('resolving a stored path for submitting', () => {
  it('joins a relative path to the document folder', () => {
    expect(resolveScriptPath('script.py', '/home/u/proj')).toBe('/home/u/proj/script.py');
    expect(resolveScriptPath('sub/script.py', '/home/u/proj/')).toBe('/home/u/proj/sub/script.py');
    expect(resolveScriptPath('../x.py', '/home/u/proj')).toBe('/home/u/x.py');
    expect(resolveScriptPath('./a/../b.py', '/p')).toBe('/p/b.py');
  });
  it('keeps an absolute path (older documents, Python-written ones) as it is', () => {
    expect(resolveScriptPath('/opt/scripts/x.py', '/home/u/proj')).toBe('/opt/scripts/x.py');
  });
  it('refuses a folder that is not absolute', () => {
    expect(() => resolveScriptPath('x.py', 'proj')).toThrow(
      "the document's folder must be absolute to resolve 'x.py', got 'proj'"
    );
  });
  it('round-trips: what is stored for a picked file resolves to that file', () => {
    for (const [picked, doc] of [
      ['proj/sub/s.py', 'proj/w.pqwf.json'],
      ['s.py', 'a/b/w.pqwf.json'],
      ['a/c/s.py', 'a/b/w.pqwf.json']
    ]) {
      const stored = storedScriptPath(picked, doc);
      expect(resolveScriptPath(stored, normalizePath(`/root/${folderOf(doc)}`))).toBe(`/root/${picked}`);
    }
  });
});

describe('older root-relative paths', () => {
  it('are rewritten relative to the document folder', () => {
    expect(fromRootRelative('scripts/a.py', 'defs/w.pqwf.json')).toBe('../scripts/a.py');
    expect(fromRootRelative('./defs/a.py', 'defs/w.pqwf.json')).toBe('a.py');
  });
});

describe('a definition with relative script paths', () => {
  const build = () => {
    const m = new DefinitionModel();
    m.addTask({ code: 'prep.py', name: 'prep' });
    m.addTask({ code: '../shared/train.py', name: 'train' });
    m.addTask({ code: '/opt/old.py', name: 'old' });
    m.addManual('check', 'review/check.ipynb');
    m.connect('root/prep', 'root/train');
    m.wrap(['root/old'], { kind: 'static_width', width: 2 });
    return m;
  };

  it('stores the paths as given', () => {
    const saved = JSON.parse(build().toText());
    const codes = scriptPaths(saved.root).map(p => p.value);
    expect(codes).toEqual(['prep.py', '../shared/train.py', '/opt/old.py', 'review/check.ipynb']);
  });

  it('submits absolute paths resolved against the document folder, without touching the document', () => {
    const m = build();
    const spec = m.toSpec(p => resolveScriptPath(p, '/home/u/proj/defs'));
    expect(scriptPaths(spec.root).map(p => p.value)).toEqual([
      '/home/u/proj/defs/prep.py',
      '/home/u/proj/shared/train.py',
      '/opt/old.py',
      '/home/u/proj/defs/review/check.ipynb'
    ]);
    expect(scriptPaths(m.document.root).map(p => p.value)[0]).toBe('prep.py');
  });

  it('is valid once resolved, and names each relative path as a problem when not', () => {
    const m = build();
    expect(m.validate(p => resolveScriptPath(p, '/home/u/proj'))).toEqual([]);
    const problems = m.validate();
    expect(problems.map(p => [p.path, p.field])).toEqual(
      expect.arrayContaining([
        ['root/prep', 'code'],
        ['root/train', 'code'],
        ['root/check', 'notebook']
      ])
    );
    expect(problems.find(p => p.path === 'root/prep')?.message).toBe("the script path must be absolute, got 'prep.py'");
  });

  it('refuses a task without a script', () => {
    expect(() => new DefinitionModel().addTask({ code: ' ' })).toThrow('a task needs a script');
  });
});
