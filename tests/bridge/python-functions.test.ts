// The submission-time check of `func`: a function the script does not define is refused; a name
// the text cannot rule out (bound in a block, by a star import or globals()) is left to run time.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pythonFunctionProblem, topLevelNames } from '../../kernel-bridge/manager/python-functions.js';
import { validateSpec } from '../../core/spec.js';
import { SpecError } from '../../core/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'pq-func-'));
const script = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

test('top-level defs, classes, assignments and imports are names; indented ones are not', () => {
  const { names, dynamic } = topLevelNames(
    [
      'import numpy as np, os.path',
      'from ase.optimize import BFGS, FIRE as fire',
      'def main(**kw):',
      '    def inner(): pass',
      'async def relax(**kw): ...',
      'class Runner: pass',
      'run = relax',
      'a, b = 1, 2',
      'cfg: dict = {}',
      "if __name__ == '__main__':",
      '    hidden = 1'
    ].join('\n')
  );
  assert.deepEqual([...names].sort(), ['BFGS', 'Runner', 'a', 'b', 'cfg', 'fire', 'main', 'np', 'os', 'relax', 'run']);
  assert.equal(dynamic, false);
});

test('a missing function is named with the ones the script defines', () => {
  const path = script('tools.py', 'def main(**kw):\n    return True, {}\n\ndef relax(**kw):\n    return True, {}\n');
  assert.equal(pythonFunctionProblem(path, 'relax'), null);
  assert.equal(
    pythonFunctionProblem(path, 'relaxx'),
    `the script '${path}' defines no function 'relaxx' (functions it defines: main, relax)`
  );
});

test('names the text cannot rule out are left to run time', () => {
  assert.equal(pythonFunctionProblem(script('star.py', 'from tools import *\n'), 'relax'), null);
  assert.equal(pythonFunctionProblem(script('glob.py', "globals()['relax'] = print\n"), 'relax'), null);
  assert.equal(
    pythonFunctionProblem(
      script('try.py', 'try:\n    from fast import relax\nexcept ImportError:\n    def relax(): pass\n'),
      'relax'
    ),
    null
  );
  assert.equal(
    pythonFunctionProblem(join(dir, 'missing.py'), 'relax'),
    null,
    'a missing script is reported on its code field'
  );
});

test('the spec refuses a bad func naming workflow, node and field', () => {
  const path = script('only_main.py', 'def main(): pass\n');
  const docOf = (func: unknown, code = path) => ({
    specVersion: 1,
    name: 'wf-func',
    root: { kind: 'task', name: 't', code, args: {}, resources: '1:local:10m', func }
  });
  const refuses = (d: unknown, says: RegExp) =>
    assert.throws(
      () => validateSpec(d, { functionProblem: pythonFunctionProblem }),
      (e: unknown) =>
        e instanceof SpecError &&
        /workflow 'wf-func'/.test(e.message) &&
        /field 'func'/.test(e.message) &&
        says.test(e.message)
    );
  refuses(docOf('relax'), /defines no function 'relax' \(functions it defines: main\)/);
  refuses(docOf('not a name'), /must be the name of a Python function/);
  refuses(docOf(3), /must be the name of a Python function/);
  refuses(docOf('relax', script('tool.sh', '#!/bin/sh\n')), /needs a Python script/);
  validateSpec(docOf('main'), { functionProblem: pythonFunctionProblem });
});
