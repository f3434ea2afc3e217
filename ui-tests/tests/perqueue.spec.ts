// A workflow submitted through the real bridge appears in the Workflows sidebar, opens as a
// graph, and an entry clicked in the graph shows its details.
import { expect, test } from './helpers/perqueue';

test.use({ autoGoto: false });

test.describe('PerQueue Lab', () => {
  test('sidebar, graph panel and entry details follow a submitted workflow', async ({ page, perqueue }) => {
    const { projectDir, apiVersion } = await perqueue.version();
    expect(apiVersion).toBe(1);

    const task = (name: string) => ({
      kind: 'task',
      name,
      code: `${projectDir}/hello.py`,
      args: { who: name },
      resources: '1:local:1m'
    });
    const spec = {
      specVersion: 1,
      name: 'ui-test',
      root: {
        kind: 'workflow',
        name: 'ui-test',
        nodes: [
          { id: 'first', node: task('first'), parents: [] },
          { id: 'second', node: task('second'), parents: ['first'] }
        ]
      }
    };
    const workflowId = await perqueue.submitSpec(spec);

    await page.goto();
    await page.sidebar.openTab('perqueue-workflows');
    const item = page.locator(`.jp-PerQueue-workflow[data-workflow-id="${workflowId}"]`);
    await expect(item.locator('.jp-PerQueue-workflow-name')).toHaveText('ui-test');
    await expect(item.locator('.jp-PerQueue-progress')).toBeVisible();

    await item.click();
    const panel = page.locator(`.jp-PerQueue-graph[data-workflow-id="${workflowId}"]`);
    await expect(panel).toHaveAttribute('data-entry-count', '2');
    const canvas = panel.locator('.jp-PerQueue-graph-canvas');
    await expect(canvas).toHaveAttribute('data-layout-runs', /[1-9]/);

    // Cytoscape draws on a canvas: click where it put the first entry.
    const target = await page.evaluate(id => {
      const widget = (window as any).jupyterapp.shell.currentWidget;
      const graph = widget.content;
      if (graph.workflowId !== id) {
        throw new Error(`the current panel shows workflow ${graph.workflowId}`);
      }
      const node = graph.cytoscape.nodes('[label = "first"]')[0];
      const at = node.renderedPosition();
      return { x: at.x, y: at.y, label: node.data('label') as string };
    }, workflowId);
    const box = await canvas.boundingBox();
    expect(box).not.toBeNull();
    await page.mouse.click(box!.x + target.x, box!.y + target.y);

    const details = panel.locator('.jp-PerQueue-details');
    await expect(details.locator('.jp-PerQueue-details-title')).toHaveText(target.label);
    await expect(details).toContainText('Inputs');
    await expect(details).toContainText('"who": "first"');
  });
});
