// The Workflows sidebar and the graph panel in the light and the dark theme (screenshots with
// the timestamps masked, from canned bridge answers so they do not depend on other tests), and
// names and outputs that look like HTML, which must render as text.
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';
import { expect, test } from './helpers/perqueue';

test.use({ autoGoto: false });

const CREATED = 1_700_000_000_000;

const SUMMARIES = [
  {
    id: 9101,
    name: 'screening',
    createdAt: CREATED,
    total: 8,
    counts: { succeeded: 4, running: 1, failed: 1, blocked: 1, waiting: 1 },
    state: 'failed'
  },
  {
    id: 9102,
    name: 'active-learning',
    createdAt: CREATED,
    total: 5,
    counts: { awaiting_input: 1, succeeded: 4 },
    state: 'awaiting_input'
  },
  {
    id: 9103,
    name: 'relaxations',
    createdAt: CREATED,
    total: 12,
    counts: { succeeded: 11, discarded: 1 },
    state: 'succeeded'
  }
];

function screening() {
  const node = (id: number, name: string, state: string, index: number[] = [], templateId = id) => ({
    id,
    workflowId: 9101,
    kind: 'task',
    name,
    state,
    templateId,
    index,
    iteration: [],
    groupId: index.length ? 2 : null
  });
  return {
    workflow: { id: 9101, name: 'screening', createdAt: CREATED },
    nodes: [
      node(1, 'prepare.py', 'succeeded'),
      node(3, 'relax.py', 'succeeded', [0], 3),
      node(4, 'score.py', 'succeeded', [0], 4),
      node(5, 'relax.py', 'failed', [1], 3),
      node(6, 'score.py', 'blocked', [1], 4),
      node(7, 'relax.py', 'running', [2], 3),
      node(8, 'score.py', 'waiting', [2], 4),
      node(9, 'collect.py', 'succeeded')
    ],
    edges: [
      { child: 3, parent: 1, join: null },
      { child: 5, parent: 1, join: null },
      { child: 7, parent: 1, join: null },
      { child: 4, parent: 3, join: null },
      { child: 6, parent: 5, join: null },
      { child: 8, parent: 7, join: null },
      { child: 9, parent: 4, join: 1 },
      { child: 9, parent: 6, join: 1 },
      { child: 9, parent: 8, join: 1 }
    ]
  };
}

async function cannedBridge(page: IJupyterLabPageFixture): Promise<void> {
  await page.route(/\/perqueue\/api\/workflows(\?.*)?$/, route => route.fulfill({ json: SUMMARIES }));
  await page.route(/\/perqueue\/api\/workflows\/9101(\?.*)?$/, route => route.fulfill({ json: screening() }));
  // A quiet event stream: nothing from the real bridge changes the pictures.
  await page.routeWebSocket(/\/perqueue\/api\/events\/ws/, () => undefined);
}

test('the sidebar and the graph in the light and the dark theme', async ({ page }) => {
  await cannedBridge(page);
  await page.goto();
  await page.sidebar.openTab('perqueue-workflows');
  const sidebar = page.locator('#perqueue-workflows');
  await expect(sidebar.locator('.jp-PerQueue-workflow')).toHaveCount(3);
  const mask = [sidebar.locator('.jp-PerQueue-workflow-meta')];

  await page.evaluate(() =>
    (window as any).jupyterapp.commands.execute('perqueue:open-workflow', { workflowId: 9101 })
  );
  const panel = page.locator('.jp-PerQueue-graph[data-workflow-id="9101"]');
  await expect(panel).toHaveAttribute('data-entry-count', '8');
  await expect(panel.locator('.jp-PerQueue-graph-canvas')).toHaveAttribute('data-layout-runs', /[1-9]/);

  // States told apart by glyph and border as well as colour; the legend open in the picture.
  await panel.locator('.jp-PerQueue-legend-toggle').click();
  await expect(panel.locator('.jp-PerQueue-legend')).toBeVisible();
  await expect(sidebar).toHaveScreenshot('sidebar-light.png', { mask });
  await expect(panel).toHaveScreenshot('graph-light.png');

  const labelColour = () =>
    page.evaluate(
      () => (window as any).jupyterapp.shell.currentWidget.content.cytoscape.nodes()[0].style('color') as string
    );
  const light = await labelColour();
  await page.theme.setDarkTheme();
  // The graph already open reads the new theme's colours.
  await expect.poll(labelColour).not.toBe(light);
  await expect(sidebar).toHaveScreenshot('sidebar-dark.png', { mask });
  await expect(panel).toHaveScreenshot('graph-dark.png');
  await page.theme.setLightTheme();
});

test('names and outputs that look like HTML are shown as text, never run', async ({ page, perqueue }) => {
  const dialogs: string[] = [];
  page.on('dialog', d => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  const version = await perqueue.version();
  const evil = '<img src=x onerror=alert(1)>';
  await page.goto();
  await page.contents.uploadContent(
    "def main(**kwargs):\n    return True, {'html': '<img src=x onerror=alert(3)>', 'script': '<script>alert(4)</script>'}\n",
    'text',
    'xss_task.py'
  );
  const spec = {
    specVersion: 1,
    name: evil,
    root: {
      kind: 'workflow',
      nodes: [
        {
          id: 'evil',
          node: {
            kind: 'task',
            name: evil,
            code: `${version.projectDir}/xss_task.py`,
            args: { note: '<b>bold</b>' },
            resources: '1:local:1m'
          },
          parents: []
        }
      ]
    }
  };
  const workflowId = await perqueue.submitSpec(spec);

  await page.sidebar.openTab('perqueue-workflows');
  const item = page.locator(`.jp-PerQueue-workflow[data-workflow-id="${workflowId}"]`);
  await expect(item.locator('.jp-PerQueue-workflow-name')).toHaveText(evil);
  await item.click();
  const panel = page.locator(`.jp-PerQueue-graph[data-workflow-id="${workflowId}"]`);
  const canvas = panel.locator('.jp-PerQueue-graph-canvas');
  await expect(canvas).toHaveAttribute('data-states', 'succeeded:1', { timeout: 60000 });
  await expect(
    page.locator('.jp-MainAreaWidget .lm-TabBar-tabLabel, .lm-TabBar-tabLabel', { hasText: evil }).first()
  ).toBeVisible();

  const at = await page.evaluate(() =>
    (window as any).jupyterapp.shell.currentWidget.content.cytoscape.nodes()[0].renderedPosition()
  );
  const box = (await canvas.boundingBox())!;
  await page.mouse.click(box.x + at.x, box.y + at.y);
  const details = panel.locator('.jp-PerQueue-details');
  await expect(details.locator('.jp-PerQueue-details-title')).toHaveText(evil);
  await expect(details).toContainText('"html": "<img src=x onerror=alert(3)>"');
  await expect(details).toContainText('<script>alert(4)</script>');
  await expect(details).toContainText('<b>bold</b>');

  // Nothing became an element: no image with that source, no dialog.
  expect(await page.locator('img[src="x"]').count()).toBe(0);
  expect(await page.locator('.jp-PerQueue-details b, .jp-PerQueue-sidebar b').count()).toBe(0);
  expect(dialogs).toEqual([]);
});
