// Human steps, the pure part: finding the entry a step notebook was made for, where its copy is
// for the Jupyter server, and checking a result typed by a person.
import {
  IApproval,
  isHumanStepPath,
  projectOfStepPath,
  outcomeText,
  parseResult,
  pythonString,
  readInjectedParameters,
  serverPath,
  sortApprovals,
  stepLabel,
  timeLeft
} from '../steps';

/** The injected cell as the bridge writes it (docs/contracts.md §6). */
const injected = {
  cell_type: 'code',
  metadata: { tags: ['injected-parameters'] },
  source: [
    '# Parameters injected by PerQueue Lab\n',
    "sample = 'cat-17.png'\n",
    'pq_iteration = [2]\n',
    'pq_entry_id = 12\n',
    "pq_params = {'sample': sample, 'pq_iteration': pq_iteration}\n"
  ]
};

describe('readInjectedParameters', () => {
  it('reads the entry id from the cell tagged injected-parameters', () => {
    const cells = [
      { cell_type: 'markdown', source: '# Label the sample\npq_entry_id = 99' },
      { cell_type: 'code', metadata: { tags: ['parameters'] }, source: 'sample = None' },
      injected,
      { cell_type: 'code', source: 'result = {"label": "cat"}' }
    ];
    expect(readInjectedParameters(cells)).toEqual({ entryId: 12, project: null });
  });

  it('reads pq_project when the copy lives outside the project', () => {
    const cell = { ...injected, source: [...injected.source, "pq_project = '/data/it\\'s here'\n"] };
    expect(readInjectedParameters([cell])).toEqual({ entryId: 12, project: "/data/it's here" });
  });

  it('still finds a cell whose tags were lost, by its first line', () => {
    const untagged = { ...injected, metadata: {} };
    expect(readInjectedParameters([untagged])?.entryId).toBe(12);
  });

  it('ignores pq_entry_id set by the person in an ordinary cell', () => {
    expect(readInjectedParameters([{ cell_type: 'code', source: 'pq_entry_id = 3' }])).toBeNull();
  });

  it('is null for a notebook without the injected cell', () => {
    expect(readInjectedParameters([{ cell_type: 'code', source: 'print(1)' }])).toBeNull();
    expect(readInjectedParameters([])).toBeNull();
  });

  it('is null when the injected cell lost its entry id', () => {
    const edited = { ...injected, source: '# Parameters injected by PerQueue Lab\nsample = 1\n' };
    expect(readInjectedParameters([edited])).toBeNull();
  });
});

describe('pythonString', () => {
  it.each([
    ["'abc'", 'abc'],
    ['"it\'s"', "it's"],
    ["'a\\nb'", 'a\nb'],
    ["'\\xe9t\\u00e9'", 'été'],
    ["'back\\\\slash'", 'back\\slash']
  ])('reads %s', (literal, value) => {
    expect(pythonString(literal)).toBe(value);
  });

  it.each(['abc', "'open", "'a' + 'b'", '42'])('refuses %s', literal => {
    expect(pythonString(literal)).toBeNull();
  });
});

describe('isHumanStepPath', () => {
  it('knows the copies under human-steps/, at any depth', () => {
    expect(isHumanStepPath('human-steps/wf1-entry4-label-a1.ipynb')).toBe(true);
    expect(isHumanStepPath('projects/a/human-steps/wf1-entry4-label-a1.ipynb')).toBe(true);
  });

  it('does not take a file named like the folder for it', () => {
    expect(isHumanStepPath('human-steps.ipynb')).toBe(false);
    expect(isHumanStepPath('label.ipynb')).toBe(false);
  });
});

describe('projectOfStepPath', () => {
  it('is the folder holding human-steps/, below the served root', () => {
    expect(projectOfStepPath('human-steps/wf1-entry4-label-a1.ipynb')).toBe('');
    expect(projectOfStepPath('projects/a/human-steps/wf1-entry4-label-a1.ipynb')).toBe('projects/a');
  });

  it('is null for a notebook that is not a step copy', () => {
    expect(projectOfStepPath('label.ipynb')).toBeNull();
    expect(projectOfStepPath('human-steps/old/x.ipynb')).toBeNull();
    expect(projectOfStepPath('human-steps')).toBeNull();
  });
});

describe('serverPath', () => {
  it('is the project path when the server serves the project folder', () => {
    expect(serverPath('human-steps/x.ipynb', '/home/ana/proj', '/home/ana/proj')).toBe('human-steps/x.ipynb');
  });

  it('is relative to a server root above the project', () => {
    expect(serverPath('human-steps/x.ipynb', '/home/ana/proj', '/home/ana')).toBe('proj/human-steps/x.ipynb');
    expect(serverPath('human-steps/x.ipynb', '/home/ana/proj/', '/home/ana/')).toBe('proj/human-steps/x.ipynb');
  });

  it('is null for a project outside the server root', () => {
    expect(serverPath('human-steps/x.ipynb', '/scratch/proj', '/home/ana')).toBeNull();
    expect(serverPath('human-steps/x.ipynb', '/home/anna/proj', '/home/ana')).toBeNull();
  });

  it('takes the folders as the same when one is unknown', () => {
    expect(serverPath('human-steps/x.ipynb', undefined, '/home/ana')).toBe('human-steps/x.ipynb');
    expect(serverPath('./human-steps//x.ipynb', '/p', '')).toBe('human-steps/x.ipynb');
  });

  it('works from a server serving the file system root', () => {
    expect(serverPath('human-steps/x.ipynb', '/home/ana/proj', '/')).toBe('home/ana/proj/human-steps/x.ipynb');
  });
});

describe('parseResult', () => {
  it('accepts a JSON object', () => {
    expect(parseResult('{"label": "cat", "score": 0.9}')).toEqual({ ok: true, value: { label: 'cat', score: 0.9 } });
  });

  it('reads empty text as an empty result', () => {
    expect(parseResult('  \n')).toEqual({ ok: true, value: {} });
  });

  it('says why invalid JSON is refused', () => {
    const parsed = parseResult("{'label': 'cat'}");
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.error).toMatch(/^Not valid JSON/);
  });

  it.each([
    ['[1, 2]', 'a list'],
    ['"cat"', 'a string'],
    ['3', 'a number'],
    ['null', 'null']
  ])('refuses %s: the result must be an object, not %s', (text, kind) => {
    const parsed = parseResult(text);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.error).toContain(`not ${kind}`);
  });
});

describe('describing waiting steps', () => {
  const approval = (id: number, startedAt: number | null): IApproval => ({
    node: { id, workflowId: 1, name: 'label', state: 'awaiting_input', startedAt, index: [1], iteration: [0, 2] },
    spec: { kind: 'manual', notebook: '/p/label.ipynb' }
  });

  it('lists the longest waiting first', () => {
    expect(sortApprovals([approval(5, 300), approval(9, 100), approval(7, 100)]).map(a => a.node.id)).toEqual([
      7, 9, 5
    ]);
  });

  it('labels a step with its column and iteration', () => {
    expect(stepLabel(approval(1, 0).node)).toBe('label [1] #0.2');
  });

  it('says how long until the timeout applies', () => {
    const now = 1_700_000_000_000;
    expect(timeLeft(now + 20_000, now)).toBe('in 20 s');
    expect(timeLeft(now + 240_000, now)).toBe('in 4 min');
    expect(timeLeft(now + 3 * 3600_000, now)).toBe('in 3 h');
    expect(timeLeft(now - 5, now)).toBe('now');
    expect(timeLeft(null, now)).toBeNull();
    // Seconds since the epoch, as some stores write.
    expect(timeLeft(now / 1000 + 30, now)).toBe('in 30 s');
  });

  it('says what reject and the timeout do', () => {
    expect(outcomeText({})).toBe('Reject discards this branch.');
    expect(outcomeText({ onReject: 'fail', timeout: 60 })).toBe('Reject fails the step; at the timeout it fails.');
    expect(outcomeText({ timeout: 60, default: { label: 'unknown' } })).toBe(
      'Reject discards this branch; at the timeout its default result applies.'
    );
  });
});
