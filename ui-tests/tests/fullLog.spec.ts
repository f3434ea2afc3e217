// Logs as whole lines, and all of them: the details pane's tail is the last N whole lines of
// stdout, and "Show Full Log" opens the whole log in a panel that follows the running entry.
// The task prints its first lines, waits for a gate file the test writes, then prints more.
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';

import {
  expect,
  filesInTestFolder,
  graphNodePoint,
  type IEntry,
  type PerQueueHelper,
  pyAwaitGate,
  taskNode,
  test
} from './helpers/perqueue';

test.use({ autoGoto: false });
test.setTimeout(180_000);

/** JupyterLab at the start page, once the PerQueue commands are registered (the plugins activate after the page loads). */
async function openLab(page: IJupyterLabPageFixture): Promise<void> {
  await page.goto();
  await page.waitForFunction(() => (window as any).jupyterapp?.commands.hasCommand('perqueue:show-full-log'));
}

// A test that fails midway must not leave its task holding the local pool for the next one.
const workflows: number[] = [];
test.afterEach(async ({ perqueue }) => {
  for (const id of workflows.splice(0)) {
    await perqueue.request.post(`/perqueue/api/workflows/${id}/cancel`, { data: {} });
  }
});

/** Uploads `source` as `<name>.py` and submits it as a one-task workflow; the workflow and its entry. */
async function submitScript(
  page: IJupyterLabPageFixture,
  perqueue: PerQueueHelper,
  tmpPath: string,
  name: string,
  source: string
): Promise<{ workflowId: number; entry: IEntry }> {
  const folder = await filesInTestFolder(page, perqueue, tmpPath, { [`${name}.py`]: source });
  const workflowId = await perqueue.submit(name, taskNode(name, `${folder}/${name}.py`, {}, '1:local:5m'));
  workflows.push(workflowId);
  const [entry] = await perqueue.entries(workflowId);
  return { workflowId, entry };
}

test('the tail is whole lines; the full log follows a running entry and stops when it ends', async ({
  page,
  tmpPath,
  perqueue
}) => {
  // 250 lines of different lengths: a tail counted in bytes would start inside a line.
  const { workflowId, entry } = await submitScript(
    page,
    perqueue,
    tmpPath,
    'talker',
    'import os, time\n' +
      'def main(**kwargs):\n' +
      '    for i in range(250):\n' +
      '        print(f"early line {i:03d} " + "x" * (i % 37), flush=True)\n' +
      pyAwaitGate('gate') +
      '    for i in range(3):\n' +
      '        print(f"late line {i}", flush=True)\n' +
      '    return True, {}\n'
  );
  // The bridge's whole stdout, read the way the panel reads it (by offset).
  const stdout = async (): Promise<string> => {
    const response = await perqueue.request.get(`/perqueue/api/entries/${entry.id}/log?stream=stdout&offset=0`);
    expect(response.ok(), await response.text()).toBeTruthy();
    return (await response.json()).text;
  };
  await expect.poll(stdout, { timeout: 60_000 }).toContain('early line 249');
  const early = await stdout();

  await openLab(page);
  await page.evaluate(
    id => (window as any).jupyterapp.commands.execute('perqueue:open-workflow', { workflowId: id }),
    workflowId
  );
  const panel = page.locator(`.jp-PerQueue-graph[data-workflow-id="${workflowId}"]`);
  const point = await graphNodePoint(page, workflowId, 'talker');
  await page.mouse.click(point.x, point.y);
  const details = panel.locator('.jp-PerQueue-details');
  await expect(details.locator('.jp-PerQueue-details-title')).toHaveText('talker');

  // The tail: the setting's 200 lines, each a whole line of stdout (the first one too).
  const tailPre = details.locator('.jp-PerQueue-log').first();
  await expect(tailPre).toContainText('early line 249');
  const tail = (await tailPre.textContent()) ?? '';
  const tailLines = tail.replace(/\n$/, '').split('\n');
  const stdoutLines = early.replace(/\n$/, '').split('\n');
  expect(tailLines).toHaveLength(200);
  expect(tailLines).toEqual(stdoutLines.slice(-200));
  expect(tailLines[0]).toBe(stdoutLines[stdoutLines.length - 200]);

  // The context menu and the palette offer it too.
  await page.mouse.click(point.x, point.y, { button: 'right' });
  const menu = page.locator('.lm-Menu').filter({ hasText: 'Show Full Log' }).last();
  await expect(menu.locator('.lm-Menu-item', { hasText: 'Show Full Log' })).toBeVisible();
  await page.keyboard.press('Escape');

  // Show Full Log from the details pane: the whole stdout, first line first, following.
  await details.locator('button.jp-PerQueue-full-log').click();
  const full = page.locator(`.jp-PerQueue-fullLog[data-entry-id="${entry.id}"]`);
  await expect(full).toBeVisible();
  const text = full.locator('pre.jp-PerQueue-fullLog-text[data-stream="stdout"]');
  await expect(text).toContainText('early line 249');
  const shown = (await text.textContent()) ?? '';
  expect(shown).toBe(early);
  expect(shown.split('\n')[0]).toBe(stdoutLines[0]);
  expect(shown).toContain('early line 000 \n');
  expect(shown).not.toContain('late line');
  await expect(full.locator('.jp-PerQueue-fullLog-status')).toHaveText('running · following');
  await expect(full).toHaveAttribute('data-following', 'true');
  // At the bottom while it grows.
  const atBottom = () => text.evaluate(pre => pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 8);
  expect(await atBottom()).toBe(true);

  // Open the gate: the later lines appear, and the panel stops following once the entry ended.
  await page.contents.uploadContent('', 'text', `${tmpPath}/gate`);
  await expect(text).toContainText('late line 2', { timeout: 60_000 });
  await expect(full.locator('.jp-PerQueue-fullLog-status')).toHaveText('succeeded · ended', { timeout: 60_000 });
  await expect(full).toHaveAttribute('data-following', 'false');
  expect(await text.textContent()).toBe(await stdout());
  expect(await atBottom()).toBe(true);
  // stderr is the other stream of the same panel.
  await full.locator('button.jp-PerQueue-fullLog-stream[data-stream="stderr"]').click();
  await expect(text).toBeHidden();
  await expect(full.locator('pre.jp-PerQueue-fullLog-text[data-stream="stderr"]')).toBeVisible();
});

test('the full log scrolls along only while the reader is at the bottom', async ({ page, tmpPath, perqueue }) => {
  const { workflowId, entry } = await submitScript(
    page,
    perqueue,
    tmpPath,
    'long',
    'import os, time\n' +
      'def main(**kwargs):\n' +
      '    for i in range(400):\n' +
      '        print(f"first part {i}", flush=True)\n' +
      pyAwaitGate('gate') +
      '    for i in range(400):\n' +
      '        print(f"second part {i}", flush=True)\n' +
      '    return True, {}\n'
  );
  await expect
    .poll(async () => (await perqueue.entry(workflowId, entry.id))?.state, { timeout: 60_000 })
    .toBe('running');
  await openLab(page);
  // From the command (as the palette and the context menus run it), once the graph knows the entry.
  await page.evaluate(
    id => (window as any).jupyterapp.commands.execute('perqueue:open-workflow', { workflowId: id }),
    workflowId
  );
  await expect(
    page.locator(`.jp-PerQueue-graph[data-workflow-id="${workflowId}"] .jp-PerQueue-graph-canvas`)
  ).toHaveAttribute('data-layout-runs', /[1-9]/);
  await page.evaluate(
    ([wf, id]) =>
      (window as any).jupyterapp.commands.execute('perqueue:show-full-log', { entryId: id, workflowId: wf }),
    [workflowId, entry.id]
  );
  const full = page.locator(`.jp-PerQueue-fullLog[data-entry-id="${entry.id}"]`);
  const text = full.locator('pre.jp-PerQueue-fullLog-text[data-stream="stdout"]');
  await expect(text).toContainText('first part 399', { timeout: 60_000 });
  // The reader scrolls up to read: new output must not pull the view away.
  await text.evaluate(pre => (pre.scrollTop = 0));
  await page.contents.uploadContent('', 'text', `${tmpPath}/gate`);
  await expect(text).toContainText('second part 399', { timeout: 60_000 });
  expect(await text.evaluate(pre => pre.scrollTop)).toBe(0);
});
