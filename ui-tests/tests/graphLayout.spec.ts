// The graph's layout, read from where cytoscape drew it, for a workflow run by the real bridge:
// a 30-wide group of long task names expanded with no two labels overlapping, the iterations
// of a cyclical group stacked in order, and the columns of a width group (one of them discarded)
// on one row.
import { expect, test } from './helpers/perqueue';

test.use({ autoGoto: false });

const FILTER = 'def main(pq_index, **kwargs):\n    return pq_index[-1] != 2, {"kept": pq_index[-1]}\n';
const LOOP = 'def main(pq_iteration, **kwargs):\n    return True, {"pq_toggle_key": pq_iteration[-1] >= 2}\n';

interface IBox {
  label: string;
  x1: number;
  x2: number;
  y1: number;
  y2: number;
  y: number;
}

test('wide groups, cycles and discarded columns are laid out readably', async ({ page, request, perqueue }) => {
  const projectDir = await perqueue.projectDir();
  for (const [name, content] of [
    ['filter.py', FILTER],
    ['loop.py', LOOP]
  ]) {
    const put = await request.put(`/api/contents/${name}`, { data: { type: 'file', format: 'text', content } });
    expect(put.ok(), await put.text()).toBeTruthy();
  }
  const task = (name: string, script = 'hello.py') => ({
    kind: 'task',
    name,
    code: `${projectDir}/${script}`,
    args: {},
    resources: '1:local:1m'
  });
  const spec = {
    specVersion: 1,
    name: 'layout',
    root: {
      kind: 'workflow',
      name: 'layout',
      nodes: [
        { id: 'start', node: task('start'), parents: [] },
        {
          id: 'wide',
          node: { kind: 'static_width', width: 30, body: task('relax_structure_with_constraints.py') },
          parents: ['start']
        },
        {
          id: 'fan',
          node: {
            kind: 'static_width',
            width: 4,
            body: {
              kind: 'workflow',
              nodes: [
                { id: 'first', node: task('first', 'filter.py'), parents: [] },
                { id: 'second', node: task('second'), parents: ['first'] }
              ]
            }
          },
          parents: ['start']
        },
        {
          id: 'loop',
          node: {
            kind: 'cyclical',
            name: 'loop',
            maxTries: 5,
            body: {
              kind: 'workflow',
              nodes: [
                { id: 'select', node: task('select'), parents: [] },
                { id: 'train', node: task('train', 'loop.py'), parents: ['select'] }
              ]
            }
          },
          parents: ['start']
        }
      ]
    }
  };
  const workflowId = await perqueue.submitSpec(spec);
  await expect
    .poll(
      async () => {
        const detail = await perqueue.workflow(workflowId);
        return detail.nodes.filter(n => ['waiting', 'queued', 'running'].includes(n.state)).length;
      },
      { timeout: 60000 }
    )
    .toBe(0);

  await page.goto();
  await page.evaluate(
    id => (window as any).jupyterapp.commands.execute('perqueue:open-workflow', { workflowId: id }),
    workflowId
  );
  const canvas = page.locator(`.jp-PerQueue-graph[data-workflow-id="${workflowId}"] .jp-PerQueue-graph-canvas`);
  await expect(canvas).toHaveAttribute('data-layout-runs', /[1-9]/);
  const runs = Number(await canvas.getAttribute('data-layout-runs'));
  await page.evaluate(() => (window as any).jupyterapp.shell.currentWidget.content.setAllGroupsCollapsed(false));
  await expect(canvas).toHaveAttribute('data-layout-runs', String(runs + 1));

  const drawn = await page.evaluate(() => {
    const cy = (window as any).jupyterapp.shell.currentWidget.content.cytoscape;
    const box = (n: any) => {
      const b = n.boundingBox({ includeLabels: true, includeNodes: true, includeOverlays: false });
      return { label: n.data('label') as string, x1: b.x1, x2: b.x2, y1: b.y1, y2: b.y2, y: n.position('y') as number };
    };
    return {
      nodes: cy
        .nodes()
        .filter((n: any) => !n.hasClass('band'))
        .map(box),
      bands: cy.nodes('.band-box').map(box),
      zoom: cy.zoom() as number
    };
  });
  const nodes: IBox[] = drawn.nodes;
  const byLabel = (label: string) => {
    const found = nodes.find(n => n.label === label);
    expect(found, label).toBeDefined();
    return found!;
  };

  // Labels: the 30 columns are all drawn, and no two labels (or nodes) overlap anywhere.
  expect(nodes.filter(n => n.label.startsWith('relax_structure_with_constraints.py ['))).toHaveLength(30);
  const overlapping: string[] = [];
  for (let i = 0; i < nodes.length; i++) {
    for (let j = i + 1; j < nodes.length; j++) {
      const [a, b] = [nodes[i], nodes[j]];
      if (a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2) {
        overlapping.push(`${a.label} / ${b.label}`);
      }
    }
  }
  expect(overlapping).toEqual([]);

  // Cycle: iteration k's entries below iteration k - 1's, each iteration in its own labelled band.
  const selects = [0, 1, 2].map(k => byLabel(`select #${k}`).y);
  expect(selects[0]).toBeLessThan(selects[1]);
  expect(selects[1]).toBeLessThan(selects[2]);
  const bands: IBox[] = [...drawn.bands].sort((a: IBox, b: IBox) => a.y1 - b.y1);
  expect(bands.map(b => b.label)).toEqual(['loop · iteration 0', 'loop · iteration 1', 'loop · iteration 2']);
  expect(bands[0].y2).toBeLessThanOrEqual(bands[1].y1);
  expect(bands[1].y2).toBeLessThanOrEqual(bands[2].y1);

  // Siblings of one rank share a row, the discarded column (index 2) included.
  for (const name of ['first', 'second']) {
    const ys = [0, 1, 2, 3].map(i => byLabel(`${name} [${i}]`).y);
    expect(new Set(ys).size, `${name}: ${ys}`).toBe(1);
  }
  const wideRow = new Set(nodes.filter(n => n.label.startsWith('relax_structure')).map(n => n.y));
  expect(wideRow.size).toBe(1);
  // The first view is readable: the graph is too wide to fit at a size where labels can be read.
  expect(drawn.zoom).toBeGreaterThanOrEqual(0.75);
});
