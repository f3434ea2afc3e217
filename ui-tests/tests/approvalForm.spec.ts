// A human step that declares a form, through the real bridge: the Approve dialog of the Human steps
// panel renders the form from its JSON Schema, prefilled from the step's default, shows each error
// next to its field, and sends what was filled in; Edit as JSON falls back to the text dialog; a
// refusal from the bridge is shown in the dialog, which stays open.
import * as fs from 'fs';
import * as path from 'path';

import type { IJupyterLabPageFixture } from '@jupyterlab/galata';
import { expect, PerQueueHelper, test } from './helpers/perqueue';

test.use({ autoGoto: false });
test.setTimeout(120_000);

// A grade from 1 to 5 and a comment, the form the unit tests of the form logic use too.
const REVIEW_FORM = JSON.parse(
  fs.readFileSync(path.resolve(__dirname, '..', '..', 'tests', 'fixtures', 'forms', 'review.json'), 'utf8')
).form;

/** A workflow of one manual step, `review`, with the given form and default. */
async function submitReview(
  perqueue: PerQueueHelper,
  name: string,
  extra: Record<string, unknown> = {}
): Promise<number> {
  const review = { kind: 'manual', name: 'review', args: {}, form: REVIEW_FORM, onReject: 'fail', ...extra };
  const root = { kind: 'workflow', name, nodes: [{ id: 'review', node: review, parents: [] }] };
  return perqueue.submit(name, root);
}

/** Opens the Approve dialog of the workflow's waiting step from the Human steps panel; its entry id. */
async function openApprove(page: IJupyterLabPageFixture, workflowId: number): Promise<number> {
  await page.sidebar.openTab('perqueue-approvals');
  const item = page.locator(`.jp-PerQueue-approval[data-workflow-id="${workflowId}"]`);
  await expect(item).toHaveCount(1, { timeout: 20_000 });
  await expect(item.locator('.jp-PerQueue-chip')).toHaveText('form');
  await item.locator('.jp-PerQueue-approval-approve').click();
  await expect(page.locator('.jp-Dialog .jp-PerQueue-approval-form')).toBeVisible();
  return Number(await item.getAttribute('data-entry-id'));
}

test.describe('A human step with a form', () => {
  test('the form starts from the default, shows errors by field, and Approve sends its data', async ({
    page,
    request,
    perqueue
  }) => {
    const workflowId = await submitReview(perqueue, 'form-review', { default: { quality: 3, comment: 'first look' } });
    await page.goto();
    const entryId = await openApprove(page, workflowId);

    const dialog = page.locator('.jp-Dialog');
    const quality = dialog.locator(`#pq-form-${entryId}_quality`);
    const comment = dialog.locator(`#pq-form-${entryId}_comment`);
    const approve = dialog.getByRole('button', { name: 'Approve', exact: true });
    // Every error shown in the form, one item each, under its field.
    const errors = dialog.locator('.validationErrors li');
    await expect(dialog.locator('.jp-Dialog-header')).toContainText('Approve review');
    await expect(quality).toHaveValue('3');
    await expect(comment).toHaveValue('first look');
    await expect(dialog.locator('.jp-Dialog-footer button')).toHaveText(['Cancel', 'Edit as JSON', 'Approve']);

    // Out of range: the error is shown under the field and the step cannot be approved.
    await expect(errors).toHaveCount(0);
    await quality.fill('7');
    await expect(errors).toHaveText(['must be at most 5, got 7']);
    const qualityField = dialog.locator(
      `.jp-FormGroup-content:has(> .jp-inputFieldWrapper > #pq-form-${entryId}_quality)`
    );
    await expect(qualityField.locator('> .validationErrors')).toHaveText('must be at most 5, got 7');
    await expect(approve).toBeDisabled();
    // Emptied: a value is required (said as the bridge says it, under the field).
    await quality.fill('');
    await expect(errors).toHaveText(["missing required field 'quality'"]);
    await expect(qualityField.locator('> .validationErrors')).toHaveText("missing required field 'quality'");

    // Fixed: the errors go, and what was typed is sent as it is (text, never HTML).
    await quality.fill('4');
    await comment.fill('sharp <b>edges</b> <img src=x onerror=alert(1)>');
    await expect(errors).toHaveCount(0);
    await expect(approve).toBeEnabled();
    await approve.click();
    await expect(dialog).toHaveCount(0);
    await expect(page.locator('.Toastify__toast', { hasText: 'Approved review' }).first()).toBeVisible();

    await expect
      .poll(async () => (await perqueue.entry(workflowId, entryId))?.state, { timeout: 20_000 })
      .toBe('succeeded');
    expect((await perqueue.entry(workflowId, entryId))?.data).toEqual({
      quality: 4,
      comment: 'sharp <b>edges</b> <img src=x onerror=alert(1)>'
    });
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    await expect(page.locator(`.jp-PerQueue-approval[data-workflow-id="${workflowId}"]`)).toHaveCount(0);
  });

  test("Approve checks the untouched form, shows the bridge's refusal, and Edit as JSON still works", async ({
    page,
    request,
    perqueue
  }) => {
    const workflowId = await submitReview(perqueue, 'form-json');
    await page.goto();
    const entryId = await openApprove(page, workflowId);
    const dialog = page.locator('.jp-Dialog');
    const quality = dialog.locator(`#pq-form-${entryId}_quality`);
    const approve = dialog.getByRole('button', { name: 'Approve', exact: true });
    await expect(quality).toHaveValue('');

    // Nothing typed yet: Approve shows what is missing instead of sending.
    await approve.click();
    await expect(dialog.locator('.validationErrors li')).toHaveText(["missing required field 'quality'"]);
    expect((await perqueue.entry(workflowId, entryId))?.state).toBe('awaiting_input');

    // The bridge refuses data its form does not allow, answering 400 with why.
    const refused = await request.post(`/perqueue/api/entries/${entryId}/approve`, { data: { data: { quality: 9 } } });
    expect(refused.status(), await refused.text()).toBe(400);
    const refusal = (await refused.json()).error as string;
    expect(refusal).toContain('data.quality: must be at most 5, got 9');
    expect((await perqueue.entry(workflowId, entryId))?.state).toBe('awaiting_input');
    // That answer, replayed for data the form itself takes: the dialog stays open with the
    // bridge's message, and the next Approve goes through.
    const approveUrl = new RegExp(`/perqueue/api/entries/${entryId}/approve`);
    await page.route(approveUrl, route => route.fulfill({ status: 400, json: { error: refusal } }), { times: 1 });
    await quality.fill('2');
    await approve.click();
    await expect(dialog.locator('.jp-PerQueue-result-error[role="alert"]')).toHaveText(`Not approved: ${refusal}`);
    await expect(dialog).toHaveCount(1);
    await page.unroute(approveUrl);

    // Edit as JSON: the text dialog, started from what the form held, checked against the schema.
    await dialog.getByRole('button', { name: 'Edit as JSON' }).click();
    const text = page.locator('.jp-Dialog .jp-PerQueue-result-text');
    await expect(text).toBeVisible();
    expect(JSON.parse(await text.inputValue())).toEqual({ quality: 2 });
    await text.fill('{"quality": 9}');
    await page.locator('.jp-Dialog .jp-mod-accept').click();
    await expect(page.locator('.jp-Dialog .jp-PerQueue-result-error')).toContainText(
      'data.quality: must be at most 5, got 9'
    );
    await page.locator('.jp-Dialog .jp-PerQueue-result-text').fill('{"quality": 5, "comment": "typed as JSON"}');
    await page.locator('.jp-Dialog .jp-mod-accept').click();
    await expect(page.locator('.jp-Dialog')).toHaveCount(0);

    await expect
      .poll(async () => (await perqueue.entry(workflowId, entryId))?.state, { timeout: 20_000 })
      .toBe('succeeded');
    expect((await perqueue.entry(workflowId, entryId))?.data).toEqual({ quality: 5, comment: 'typed as JSON' });
  });

  test('Cancel leaves the step waiting', async ({ page, request, perqueue }) => {
    const workflowId = await submitReview(perqueue, 'form-cancel');
    await page.goto();
    const entryId = await openApprove(page, workflowId);
    await page.locator(`.jp-Dialog #pq-form-${entryId}_quality`).fill('1');
    await page.locator('.jp-Dialog').getByRole('button', { name: 'Cancel' }).click();
    await expect(page.locator('.jp-Dialog')).toHaveCount(0);
    expect((await perqueue.entry(workflowId, entryId))?.state).toBe('awaiting_input');
    await expect(page.locator(`.jp-PerQueue-approval[data-workflow-id="${workflowId}"]`)).toHaveCount(1);
    // Leave nothing waiting for the other tests.
    const rejected = await request.post(`/perqueue/api/entries/${entryId}/reject`, { data: { reason: 'test over' } });
    expect(rejected.ok(), await rejected.text()).toBeTruthy();
  });
});
