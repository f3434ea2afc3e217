// Right-clicks on graph nodes, the legend, and the details pane's inputs, through the real bridge:
// a task fails once (a gate file), its node's context menu retries it, and its child then shows
// what it received (its args merged with its parent's data).
import { expect, filesInTestFolder, graphNodePoint, taskNode, test } from './helpers/perqueue';

test.use({ autoGoto: false });
test.setTimeout(120_000);

test('a right-click on a failed node retries it; the child shows its merged inputs; the legend lists the states', async ({
  page,
  tmpPath,
  perqueue
}) => {
  const folder = await filesInTestFolder(page, perqueue, tmpPath, {
    'flaky.py':
      'import os\n' +
      'def main(**kwargs):\n' +
      '    gate = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fail-once")\n' +
      '    if os.path.exists(gate):\n' +
      '        os.remove(gate)\n' +
      '        raise RuntimeError("failing once")\n' +
      '    return True, {"made": "by the retry", "shared": "parent"}\n',
    'after.py': 'def main(**kwargs):\n    return True, {}\n',
    'fail-once': ''
  });
  const task = (name: string, args: Record<string, unknown>) => taskNode(name, `${folder}/${name}.py`, args);
  const workflowId = await perqueue.submit('menus', {
    kind: 'workflow',
    name: 'menus',
    nodes: [
      { id: 'flaky', node: task('flaky', { n: 1 }), parents: [] },
      { id: 'after', node: task('after', { own: 2, shared: 'own' }), parents: ['flaky'] }
    ]
  });
  await expect
    .poll(async () => (await perqueue.entries(workflowId)).map(e => e.state).sort(), { timeout: 30_000 })
    .toEqual(['blocked', 'failed']);

  await page.goto();
  await page.evaluate(
    id => (window as any).jupyterapp.commands.execute('perqueue:open-workflow', { workflowId: id }),
    workflowId
  );
  const panel = page.locator(`.jp-PerQueue-graph[data-workflow-id="${workflowId}"]`);

  // The legend: a toggle in the corner, listing each family with its states.
  const legendToggle = panel.locator('.jp-PerQueue-legend-toggle');
  await expect(legendToggle).toBeVisible();
  await legendToggle.click();
  const legend = panel.locator('.jp-PerQueue-legend');
  await expect(legend).toBeVisible();
  await expect(legend.locator('.jp-PerQueue-legend-family')).toHaveCount(6);
  await expect(legend.locator('.jp-PerQueue-legend-state[data-state="timed_out"]')).toBeVisible();
  await legendToggle.click();
  await expect(legend).toBeHidden();

  // Right-click the failed node: its menu, with what applies to a failed task.
  const flaky = await graphNodePoint(page, workflowId, 'flaky');
  await page.mouse.click(flaky.x, flaky.y, { button: 'right' });
  const menu = page.locator('.lm-Menu.lm-MenuBar-menu, .lm-Menu').filter({ hasText: 'Retry Entry' }).last();
  await expect(menu).toBeVisible();
  const item = (label: string) => menu.locator('.lm-Menu-item', { hasText: label });
  for (const label of ['Show Details', 'Retry Entry', 'Modify Entry…', 'Open Run Folder', 'Copy Entry Id']) {
    await expect(item(label)).toBeVisible();
  }
  await expect(item('Cancel Entry')).toHaveClass(/lm-mod-disabled/);
  await expect(item('Approve Human Step…')).toBeHidden();
  // The right-click selected the entry, as a click does.
  await expect(panel.locator('.jp-PerQueue-details-title')).toHaveText('flaky');
  await item('Retry Entry').click();

  await expect
    .poll(async () => (await perqueue.entries(workflowId)).map(e => e.state), { timeout: 30_000 })
    .toEqual(['succeeded', 'succeeded']);

  // The child received its own args overlaid with the parent's data.
  const after = await graphNodePoint(page, workflowId, 'after');
  await page.mouse.click(after.x, after.y);
  const details = panel.locator('.jp-PerQueue-details');
  await expect(details.locator('.jp-PerQueue-details-title')).toHaveText('after');
  await expect(details).toContainText('"made": "by the retry"');
  await expect(details).toContainText('"own": 2');
  await expect(details).toContainText('"shared": "parent"');
});

test('Show PerQueue Entry is in the palette and brings the entry into view', async ({ page, perqueue }) => {
  const folder = await perqueue.projectDir();
  const workflowId = await perqueue.submit('shown', taskNode('shown-entry', `${folder}/hello.py`, { who: 'palette' }));
  const [entry] = await perqueue.entries(workflowId);
  await page.goto();
  await page.keyboard.press('Control+Shift+C');
  await page.locator('.lm-CommandPalette-input').fill('Show PerQueue Entry');
  await page.locator('.lm-CommandPalette-item', { hasText: 'Show PerQueue Entry' }).first().click();
  await page.locator('.jp-Dialog input').fill(String(entry.id));
  await page.locator('.jp-Dialog .jp-mod-accept').click();
  const panel = page.locator(`.jp-PerQueue-graph[data-workflow-id="${workflowId}"]`);
  await expect(panel.locator('.jp-PerQueue-details-title')).toHaveText('shown-entry');
  const zoom = await page.evaluate(() => (window as any).jupyterapp.shell.currentWidget.content.cytoscape.zoom());
  expect(zoom).toBeGreaterThanOrEqual(1);
});
