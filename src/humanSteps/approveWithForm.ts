// Approving a step that declares a form: the form first, prefilled from the step's default; on
// "Edit as JSON" the text dialog, started from what the form held and checked against the same
// schema. Either dialog sends the result itself and shows a refusal, so nothing is lost to a typo.
import { initialFormData, JsonObject } from './form';
import { checkResult } from './formCheck';
import { describe } from './service';
import { askFormResult } from './approvalFormDialog';
import { askResult } from './dialogs';

interface IApproveWithFormOptions {
  entryId: number;
  title: string;
  hint: string;
  schema: JsonObject;
  /** The step's `default` result, if any. */
  stepDefault: unknown;
  /** Sends the result to the bridge. */
  approve: (data: JsonObject) => Promise<void>;
}

/** Whether the step was approved (false when the person cancelled). */
export async function approveWithForm(options: IApproveWithFormOptions): Promise<boolean> {
  const { entryId, title, hint, schema, approve } = options;
  const answer = await askFormResult({
    title,
    hint,
    schema,
    data: initialFormData(schema, options.stepDefault),
    idPrefix: `pq-form-${entryId}`,
    submit: approve
  });
  if (answer.kind !== 'json') {
    return answer.kind === 'approved';
  }
  const accept = async (value: JsonObject): Promise<string> => {
    const refused = checkResult(schema, value).messages;
    if (refused.length) {
      return `The result does not match the step's form:\n${refused.join('\n')}`;
    }
    try {
      await approve(value);
      return '';
    } catch (error) {
      return `Not approved: ${describe(error)}`;
    }
  };
  const sent = await askResult(title, JSON.stringify(answer.data, null, 2), hint, accept);
  return sent !== null;
}
