// Notebooks and human steps, through the real bridge and a real kernel: the live graph widget of
// a workflow submitted from a cell; a labelling loop whose manual step is answered from its
// notebook and from the Human steps panel; a timeout applying a step's default; and waiting steps
// of two workflows listed together.
import * as os from 'os';

import { expect, filesInTestFolder, newNotebookWithCell, test } from './helpers/perqueue';

test.use({ autoGoto: false });
// Kernels start, tasks run and iterations follow each other: give each scenario room.
test.setTimeout(180_000);

/** A chain of nodes as a workflow node (PerQueue's `Workflow([a, b, c])`). */
function chain(name: string, nodes: [string, unknown][]): unknown {
  return {
    kind: 'workflow',
    name,
    nodes: nodes.map(([id, node], i) => ({ id, node, parents: i ? [nodes[i - 1][0]] : [] }))
  };
}

function task(code: string, args: Record<string, unknown> = {}): unknown {
  return { kind: 'task', name: code.split('/').pop(), code, args, resources: '1:local:2m' };
}

function notebook(cells: { source: string; tags?: string[] }[]): string {
  return JSON.stringify({
    cells: cells.map((c, i) => ({
      cell_type: 'code',
      execution_count: null,
      id: `cell-${i}`,
      metadata: c.tags ? { tags: c.tags } : {},
      outputs: [],
      source: c.source
    })),
    metadata: { kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' } },
    nbformat: 4,
    nbformat_minor: 5
  });
}

test.describe('Notebooks', () => {
  test('a cell submits a workflow and its graph widget follows it live, kernel busy or restarted', async ({
    page,
    request,
    tmpPath
  }) => {
    await page.contents.uploadContent(
      'import time\n\ndef main(x=0, **kwargs):\n    time.sleep(4)\n    return True, {"x": x + 1}\n',
      'text',
      `${tmpPath}/slow.py`
    );
    await newNotebookWithCell(page, tmpPath, 'graph.ipynb', [
      'from perqueue_lab import connect, Task, Workflow',
      'wf = Workflow([Task("slow.py", {"x": 1}, "1:local:1m"), Task("slow.py", name="again")])',
      'h = connect().submit(wf, name="from-a-notebook")',
      'h'
    ]);
    // The next cell keeps the kernel busy while the workflow runs.
    await page.notebook.addCell('code', 'import time\ntime.sleep(30)');
    await page.notebook.runCell(0);
    const busy = page.notebook.runCell(1).catch(() => undefined);

    const widget = page.locator('.jp-PerQueue-widget').first();
    await expect(widget).toBeVisible();
    await expect(widget).toHaveAttribute('data-entry-count', '2');
    await expect(widget.locator('.jp-PerQueue-widget-title')).toContainText('from-a-notebook');
    await expect(widget.locator('canvas').first()).toBeVisible();
    const workflowId = Number(await widget.getAttribute('data-workflow-id'));
    expect(workflowId).toBeGreaterThan(0);

    // The kernel sleeps: the graph keeps changing, the first task ends while the second runs.
    await expect(widget).toHaveAttribute('data-states', /running:1/, { timeout: 30_000 });
    await expect(widget).toHaveAttribute('data-states', 'running:1 succeeded:1', { timeout: 30_000 });
    await expect((await page.notebook.getCellLocator(1))!.locator('.jp-InputPrompt')).toContainText('*');

    // The kernel restarts while the second task runs: the graph stays and follows it to the end.
    // (Through the REST API: Galata's kernel bookkeeping answers the menu's restart badly.)
    const kernelId = await page.evaluate(
      () => (window as any).jupyterapp.shell.currentWidget.sessionContext.session.kernel.id as string
    );
    const restarted = await request.post(`/api/kernels/${kernelId}/restart`);
    expect(restarted.ok(), await restarted.text()).toBeTruthy();
    void busy;
    await expect(widget).toHaveAttribute('data-states', 'succeeded:2', { timeout: 30_000 });
    await expect(widget.locator('canvas').first()).toBeVisible();

    // A saved notebook, reopened: running the cell again shows the graph again.
    await page.notebook.save();
    await page.notebook.close();
    await page.notebook.openByPath(`${tmpPath}/graph.ipynb`);
    await page.notebook.runCell(0);
    const again = page.locator('.jp-PerQueue-widget').first();
    await expect(again).toBeVisible();
    await expect(again).not.toHaveAttribute('data-workflow-id', String(workflowId));
    await expect(again).toHaveAttribute('data-states', 'succeeded:2', { timeout: 30_000 });
  });
});

test.describe('Human steps', () => {
  test('a labelling loop: the step waits, its notebook opens from the panel, Approve goes on, Reject discards', async ({
    page,
    tmpPath,
    perqueue
  }) => {
    const folder = await filesInTestFolder(page, perqueue, tmpPath, {
      'propose.py':
        'def main(pq_iteration=None, **kwargs):\n    return True, {"sample": f"img-{pq_iteration[-1]}.png"}\n',
      'check.py':
        'def main(label=None, **kwargs):\n    return True, {"pq_toggle_key": label == "stop", "label": label}\n',
      'label.ipynb': notebook([
        { source: 'sample = None', tags: ['parameters'] },
        {
          source:
            '# A labelling stand-in: a person would look at the sample here.\n' +
            'print("labelling", sample)\nresult = {"label": "cat", "sample": sample}'
        }
      ])
    });
    await page.goto(`tree/${tmpPath}`);

    const loop = {
      kind: 'cyclical',
      name: 'labelling-loop',
      maxTries: 4,
      body: chain('iteration', [
        ['propose', task(`${folder}/propose.py`)],
        ['label', { kind: 'manual', name: 'label', args: {}, notebook: `${folder}/label.ipynb`, onReject: 'discard' }],
        ['check', task(`${folder}/check.py`)]
      ])
    };
    const workflowId = await perqueue.submit('labelling', chain('labelling', [['loop', loop]]));

    // The notification, then the Human steps panel.
    const toast = page.locator('.Toastify__toast', { hasText: 'is waiting for you' });
    await expect(toast.first()).toContainText('label #0');
    await page.sidebar.openTab('perqueue-approvals');
    const items = page.locator(`.jp-PerQueue-approval[data-workflow-id="${workflowId}"]`);
    await expect(items).toHaveCount(1);
    const first = Number(await items.first().getAttribute('data-entry-id'));
    await items.first().locator('.jp-PerQueue-approval-open').click();

    // The copy under human-steps/, with the inputs in the injected cell.
    const panel = page.locator('.jp-NotebookPanel:visible');
    await expect(panel.locator('.jp-Cell').nth(1)).toContainText(`pq_entry_id = ${first}`);
    await expect(panel.locator('.jp-Cell').nth(1)).toContainText('img-0.png');
    const path = await page.evaluate(() => (window as any).jupyterapp.shell.currentWidget.context.path as string);
    expect(path).toMatch(new RegExp(`^human-steps/wf${workflowId}-entry${first}-label-a1\\.ipynb$`));
    const status = panel.locator('.jp-PerQueue-step-status');
    await expect(status).toHaveText(`Step #${first} waiting`);

    // A person works through the notebook and sets `result`; Approve sends it on.
    await page.notebook.run();
    await expect(panel.locator('.jp-OutputArea-output').first()).toContainText('labelling img-0.png');
    await panel.locator('.jp-PerQueue-step-approve').click();
    await expect(status).toHaveText(`Step #${first} answered`);

    await expect
      .poll(async () => (await perqueue.entries(workflowId)).find(e => e.id === first)?.state, { timeout: 20_000 })
      .toBe('succeeded');
    const afterApprove = await perqueue.entries(workflowId);
    expect(afterApprove.find(e => e.id === first)?.data).toEqual({ label: 'cat', sample: 'img-0.png' });
    await expect
      .poll(async () => (await perqueue.entries(workflowId)).find(e => e.name === 'check.py')?.data?.label, {
        timeout: 20_000
      })
      .toBe('cat');

    // The next iteration asks again.
    await expect(items).toHaveCount(1, { timeout: 20_000 });
    await expect(items.first()).not.toHaveAttribute('data-entry-id', String(first));
    const second = Number(await items.first().getAttribute('data-entry-id'));
    const next = (await perqueue.entries(workflowId)).find(e => e.id === second)!;
    expect(next.iteration).toEqual([1]);

    // Reject, with a reason, from the panel: the branch is discarded.
    await items.first().locator('.jp-PerQueue-approval-reject').click();
    await page.locator('.jp-Dialog .jp-PerQueue-reason-text').fill('blurry sample');
    await page.locator('.jp-Dialog .jp-mod-accept').click();
    await expect(items).toHaveCount(0);
    await expect
      .poll(async () => (await perqueue.entries(workflowId)).find(e => e.id === second)?.state, { timeout: 20_000 })
      .toBe('discarded');
  });

  test('steps of two workflows wait together; a timeout applies the default; Approve takes an edited result', async ({
    page,
    tmpPath,
    perqueue
  }) => {
    const folder = await filesInTestFolder(page, perqueue, tmpPath, {
      'use.py': 'def main(decision=None, **kwargs):\n    return True, {"seen": decision}\n'
    });
    await page.goto(`tree/${tmpPath}`);
    await page.sidebar.openTab('perqueue-approvals');

    const patient = await perqueue.submit(
      'patient',
      chain('patient', [
        ['review', { kind: 'manual', name: 'review', args: {}, onReject: 'fail' }],
        ['use', task(`${folder}/use.py`)]
      ])
    );
    const hurried = await perqueue.submit(
      'hurried',
      chain('hurried', [
        [
          'quick-look',
          {
            kind: 'manual',
            name: 'quick-look',
            args: {},
            timeout: 6,
            default: { decision: 'keep' },
            onReject: 'discard'
          }
        ],
        ['use', task(`${folder}/use.py`)]
      ])
    );

    const waitingFor = (workflowId: number) => page.locator(`.jp-PerQueue-approval[data-workflow-id="${workflowId}"]`);
    await expect(waitingFor(patient)).toHaveCount(1);
    await expect(waitingFor(hurried)).toHaveCount(1);
    await expect(waitingFor(hurried)).toContainText('its default applies in');
    await expect(waitingFor(patient)).toContainText('Reject fails the step.');

    // No answer: the default applies at the timeout and what follows uses it.
    await expect(waitingFor(hurried)).toHaveCount(0, { timeout: 20_000 });
    await expect
      .poll(async () => (await perqueue.entries(hurried)).find(e => e.name === 'use.py')?.state, { timeout: 20_000 })
      .toBe('succeeded');
    const timedOut = await perqueue.entries(hurried);
    const step = timedOut.find(e => e.name === 'quick-look')!;
    expect(step.state).toBe('succeeded');
    expect(step.data).toEqual({ decision: 'keep' });
    expect(step.completedBy).toBe('timeout');
    expect(timedOut.find(e => e.name === 'use.py')?.data).toEqual({ seen: 'keep' });

    // Approve with a result typed in the dialog; an invalid one is refused with the reason.
    await expect(waitingFor(patient)).toHaveCount(1);
    await waitingFor(patient).locator('.jp-PerQueue-approval-approve').click();
    const editor = page.locator('.jp-Dialog .jp-PerQueue-result-text');
    await editor.fill('[1, 2]');
    await page.locator('.jp-Dialog .jp-mod-accept').click();
    await expect(page.locator('.jp-Dialog .jp-PerQueue-result-error')).toContainText('must be a JSON object');
    await page.locator('.jp-Dialog .jp-PerQueue-result-text').fill('{"decision": "<b>drop</b>"}');
    await page.locator('.jp-Dialog .jp-mod-accept').click();
    await expect(waitingFor(patient)).toHaveCount(0);
    await expect
      .poll(async () => (await perqueue.entries(patient)).find(e => e.name === 'use.py')?.data, { timeout: 20_000 })
      .toEqual({ seen: '<b>drop</b>' });
  });
});

test("Approve starts from the step's default and records the server's user, not a collaborator name", async ({
  page,
  perqueue
}) => {
  await page.goto();
  await page.sidebar.openTab('perqueue-approvals');
  const workflowId = await perqueue.submit('defaulted', {
    kind: 'manual',
    name: 'triage',
    args: {},
    timeout: 3600,
    default: { decision: 'keep', score: 3 },
    onReject: 'discard'
  });
  const waiting = page.locator(`.jp-PerQueue-approval[data-workflow-id="${workflowId}"]`);
  await expect(waiting).toHaveCount(1);
  await waiting.locator('.jp-PerQueue-approval-approve').click();
  const editor = page.locator('.jp-Dialog .jp-PerQueue-result-text');
  await expect(editor).toBeVisible();
  expect(JSON.parse(await editor.inputValue())).toEqual({ decision: 'keep', score: 3 });
  await page.locator('.jp-Dialog .jp-mod-accept').click();
  await expect(waiting).toHaveCount(0);
  // The account that runs the Jupyter server (this process's user: Galata starts it), which is
  // who holds its token; JupyterLab's own name for this browser is a made-up "Anonymous …".
  const account =
    process.env.JUPYTERHUB_USER ||
    process.env.LOGNAME ||
    process.env.USER ||
    process.env.LNAME ||
    process.env.USERNAME ||
    os.userInfo().username;
  await expect.poll(async () => (await perqueue.entries(workflowId))[0]?.state, { timeout: 20_000 }).toBe('succeeded');
  const [step] = await perqueue.entries(workflowId);
  expect(step.data).toEqual({ decision: 'keep', score: 3 });
  expect(step.completedBy).toBe(account);
  const collaborator = await page.evaluate(
    () => (window as any).jupyterapp.serviceManager.user?.identity?.display_name ?? ''
  );
  expect(step.completedBy).not.toBe(collaborator);
});

test('the human step commands are in the palette', async ({ page }) => {
  await page.goto();
  const registered = await page.evaluate(() =>
    ['perqueue:open-step', 'perqueue:approve', 'perqueue:reject'].map(id =>
      (window as any).jupyterapp.commands.hasCommand(id)
    )
  );
  expect(registered).toEqual([true, true, true]);
  await page.keyboard.press('Control+Shift+C');
  await page.locator('#command-palette .lm-CommandPalette-input').fill('human step');
  const items = page.locator('#command-palette .lm-CommandPalette-item');
  await expect(items.filter({ hasText: 'Open Human Step Notebook' })).toHaveCount(1);
  await expect(items.filter({ hasText: 'Approve Human Step…' })).toHaveCount(1);
  await expect(items.filter({ hasText: 'Reject Human Step…' })).toHaveCount(1);
});

test('without ipywidgets in the page the Workflows sidebar and the Human steps panel still work', async ({ page }) => {
  // jupyterlab_widgets provides @jupyter-widgets/base and the widget registry: keep it out.
  await page.route(/\/lab\/extensions\/@jupyter-widgets\/jupyterlab-manager\/.*/, route => route.abort());
  const messages: string[] = [];
  page.on('console', message => messages.push(message.text()));
  await page.goto();
  await page.sidebar.openTab('perqueue-workflows');
  await expect(page.locator('.jp-PerQueue-sidebar')).toBeVisible();
  await page.sidebar.openTab('perqueue-approvals');
  await expect(page.locator('.jp-PerQueue-approvals')).toBeVisible();
  await expect.poll(() => messages.some(m => m.includes('the notebook graph widget is off'))).toBe(true);
});
