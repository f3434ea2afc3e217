// Archives one click away: a workflow that is still running is exported from the Workflows
// sidebar's right-click menu into a .pqarchive file, which opens by double-click in the file
// browser as its read-only graph.
import { expect, test } from './helpers/perqueue';

test.use({ autoGoto: false });

test('a running workflow exported from the sidebar menu opens by double-click as its graph', async ({
  page,
  request,
  perqueue
}) => {
  const dir = await perqueue.projectDir();
  const go = `${dir}/go-export`;
  // A task that runs until the test creates the file `go-export`: running for as long as needed.
  const gate = `import os, time\ndef main(**kw):\n    print("waiting", flush=True)\n    while not os.path.exists(${JSON.stringify(go)}):\n        time.sleep(0.05)\n    return True, {}\n`;
  const put = await request.put('/api/contents/export-gate.py', {
    data: { type: 'file', format: 'text', content: gate }
  });
  expect(put.ok(), await put.text()).toBeTruthy();
  const task = (name: string, code: string) => ({ kind: 'task', name, code, args: {}, resources: '1:local:1m' });
  const root = {
    kind: 'workflow',
    nodes: [
      { id: 'g', node: task('gate', `${dir}/export-gate.py`), parents: [] },
      { id: 'h', node: task('hello', `${dir}/hello.py`), parents: ['g'] }
    ]
  };
  const wf = await perqueue.submit('export-me', root);
  await expect.poll(async () => (await perqueue.entries(wf))[0]?.state, { timeout: 30_000 }).toBe('running');

  try {
    await page.goto();
    await page.sidebar.openTab('perqueue-workflows');
    await page
      .locator(`.jp-PerQueue-sidebar .jp-PerQueue-workflow[data-workflow-id="${wf}"]`)
      .click({ button: 'right' });
    await page.locator('.lm-Menu .lm-Menu-item', { hasText: 'Export Workflow…' }).click();
    const dialog = page.locator('.jp-Dialog');
    const file = `export-me-${wf}.pqarchive`;
    await expect(dialog.locator('.jp-PerQueue-export-path')).toHaveValue(file);
    await expect(dialog.locator('.jp-PerQueue-export-logs')).toBeChecked();
    await dialog.getByRole('button', { name: 'Export' }).click();
    await expect(
      page.locator('.jp-Notification-Toast-success, .Toastify__toast--success', { hasText: `to ${file}` })
    ).toBeVisible({ timeout: 30_000 });

    // The archive is saved in the folder the file browser shows; open it there by double-click.
    expect((await request.get(`/api/contents/${file}?content=0`)).ok()).toBeTruthy();
    await page.sidebar.openTab('filebrowser');
    await page.filebrowser.openHomeDirectory();
    await page.filebrowser.refresh();
    await page.locator('.jp-DirListing-item', { hasText: file }).dblclick();
    const archive = page.locator('.jp-PerQueue-archive');
    await expect(archive).toHaveAttribute('data-status', 'ready', { timeout: 30_000 });
    await expect(archive).toHaveAttribute('data-workflow-count', '1');
    const graph = archive.locator('.jp-PerQueue-graph');
    await expect(graph).toHaveAttribute('data-entry-count', '2');
    await expect(graph.locator('.jp-PerQueue-graph-canvas')).toHaveAttribute('data-layout-runs', /[1-9]/);
    // The archive holds the running entry as it was, and its log.
    const running = await page.evaluate(() => {
      const view = (window as any).jupyterapp.shell.currentWidget.content;
      return view.graph.cytoscape.nodes('[label = "gate"]').map((n: any) => n.data('state'));
    });
    expect(running).toEqual(['running']);
  } finally {
    await request.put('/api/contents/go-export', { data: { type: 'file', format: 'text', content: '' } });
  }
  await expect
    .poll(async () => (await perqueue.entries(wf)).map(e => e.state), { timeout: 30_000 })
    .toEqual(['succeeded', 'succeeded']);
});
