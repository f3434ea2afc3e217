// Removing a workflow from JupyterLab: right-click it in the Workflows sidebar, confirm, and it
// leaves the sidebar, its open graph closes and the bridge no longer has it. One still waiting
// for a person cannot be removed from the menu.

import { expect, test } from './helpers/perqueue';

test.use({ autoGoto: false });

test('a finished workflow is removed from the sidebar menu; one waiting for a person is not', async ({
  page,
  perqueue
}) => {
  const dir = await perqueue.projectDir();
  const hello = { kind: 'task', name: 'hello', code: `${dir}/hello.py`, args: { who: 'rm' }, resources: '1:local:1m' };
  const done = await perqueue.submit('to-remove', hello);
  const waiting = await perqueue.submit('needs-a-person', {
    kind: 'manual',
    name: 'check',
    args: {},
    onReject: 'fail'
  });
  await expect.poll(async () => (await perqueue.entries(done))[0]?.state, { timeout: 30_000 }).toBe('succeeded');
  await expect
    .poll(async () => (await perqueue.entries(waiting))[0]?.state, { timeout: 30_000 })
    .toBe('awaiting_input');

  await page.goto();
  await page.sidebar.openTab('perqueue-workflows');
  const item = (id: number) => page.locator(`.jp-PerQueue-sidebar .jp-PerQueue-workflow[data-workflow-id="${id}"]`);
  await item(done).click();
  const graph = page.locator(`.jp-PerQueue-graph[data-workflow-id="${done}"]`);
  await expect(graph).toBeVisible();

  // Waiting for a person: the menu offers Remove, disabled.
  await item(waiting).click({ button: 'right' });
  const menu = page.locator('.lm-Menu');
  const remove = menu.locator('.lm-Menu-item', { hasText: 'Remove Workflow…' });
  await expect(remove).toHaveAttribute('aria-disabled', 'true');
  await page.keyboard.press('Escape');

  await item(done).click({ button: 'right' });
  await expect(remove).not.toHaveAttribute('aria-disabled', 'true');
  await remove.click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog.locator('.jp-Dialog-header')).toHaveText('Remove workflow?');
  await expect(dialog.locator('.jp-Dialog-body')).toContainText(`to-remove (#${done}, 1 entries)`);
  await dialog.getByRole('button', { name: 'Remove workflow' }).click();

  await expect(item(done)).toHaveCount(0);
  await expect(graph).toHaveCount(0);
  expect(await perqueue.workflowStatus(done)).toBe(404);
  await expect(item(waiting)).toHaveCount(1);

  // Leave the project as found: nothing waits for a person any more.
  await perqueue.cancelWorkflow(waiting);
});
