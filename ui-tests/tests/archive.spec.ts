// An archived project database copied anywhere (results/run.sqlite) opens in the browser as a
// list of its workflows and a read-only graph, read by sql.js in a worker: no request reaches
// the bridge, actions are disabled, and what tasks wrote is shown as text.
import { expect, test } from '@jupyterlab/galata';

import { buildArchive } from '../../src/archive/__tests__/archiveFixture';

test.use({ autoGoto: false });

test('an archived database opens as a read-only graph with no bridge involved', async ({ page }) => {
  const dialogs: string[] = [];
  page.on('dialog', d => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  // Any workflow or entry request would go to the bridge: refuse them all and record them.
  const bridgeCalls: string[] = [];
  await page.route(/\/perqueue\/api\/(workflows\/\d+|entries)/, route => {
    bridgeCalls.push(route.request().url());
    return route.abort();
  });

  await page.goto();
  const bytes = await buildArchive();
  await page.contents.uploadContent(Buffer.from(bytes).toString('base64'), 'base64', 'results/run.sqlite');
  await page.filebrowser.open('results/run.sqlite');

  const archive = page.locator('.jp-PerQueue-archive');
  await expect(archive).toHaveAttribute('data-status', 'ready', { timeout: 30000 });
  await expect(archive).toHaveAttribute('data-workflow-count', '2');
  await expect(archive.locator('.jp-PerQueue-archive-header')).toContainText('read-only');
  // A workflow name that looks like HTML is shown as it is.
  await expect(
    archive.locator('.jp-PerQueue-workflow-name', { hasText: '<img src=x onerror=alert(1)>' })
  ).toBeVisible();

  await archive.locator('.jp-PerQueue-workflow', { hasText: 'screening' }).click();
  const panel = archive.locator('.jp-PerQueue-graph');
  await expect(panel).toHaveAttribute('data-entry-count', '8');
  const canvas = panel.locator('.jp-PerQueue-graph-canvas');
  await expect(canvas).toHaveAttribute('data-layout-runs', /[1-9]/);

  // Click the first column's relax entry on the canvas: its details, its output as text.
  const target = await page.evaluate(() => {
    const view = (window as any).jupyterapp.shell.currentWidget.content;
    const node = view.graph.cytoscape.nodes('[label = "relax.py [0]"]')[0];
    return node.renderedPosition();
  });
  const box = (await canvas.boundingBox())!;
  await page.mouse.click(box.x + target.x, box.y + target.y);
  const details = panel.locator('.jp-PerQueue-details');
  await expect(details.locator('.jp-PerQueue-details-title')).toHaveText('relax.py');
  await expect(details).toContainText('"note": "<script>alert(2)</script>"');
  // Nothing can be done to an archive: no Retry or Cancel is offered.
  await expect(details.locator('button.jp-PerQueue-retry, button.jp-PerQueue-cancel')).toHaveCount(0);

  expect(bridgeCalls).toEqual([]);
  expect(dialogs).toEqual([]);
});
