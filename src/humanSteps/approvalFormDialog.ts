// The Approve dialog of a step that declares a form: the form (approvalForm.tsx), then Cancel,
// Edit as JSON (the text dialog, for what the form cannot express) and Approve. Approve checks the
// data and sends it while the dialog stays open, so that a refusal, ours or the bridge's, is shown
// next to the fields the person can still correct.
import { Dialog } from '@jupyterlab/apputils';

import type { JsonObject } from './form';
import { describe } from './service';
import { ApprovalFormBody, IApprovalFormOptions } from './approvalForm';

type FormAnswer = { kind: 'approved' } | { kind: 'cancelled' } | { kind: 'json'; data: JsonObject };

/** The action of the Edit as JSON button. */
const EDIT_AS_JSON = 'perqueue-edit-as-json';

class ApprovalFormDialog extends Dialog<JsonObject> {
  constructor(
    title: string,
    private readonly _form: ApprovalFormBody,
    private readonly _submit: (data: JsonObject) => Promise<void>
  ) {
    const buttons = [
      Dialog.cancelButton(),
      // Not an accept button: it stays usable while a field is invalid.
      Dialog.createButton({
        label: 'Edit as JSON',
        accept: false,
        actions: [EDIT_AS_JSON],
        caption: 'Type the result as a JSON object instead'
      }),
      Dialog.okButton({ label: 'Approve' })
    ];
    super({ title, body: _form, buttons, focusNodeSelector: 'input, select, textarea' });
    this.addClass('jp-PerQueue-approval-form-dialog');
    this._buttonList = buttons;
  }

  /** Whether the bridge took the result. */
  get approved(): boolean {
    return this._approved;
  }

  /** Every way to approve (the button, Enter in a field) comes here: check and send first. */
  resolve(index?: number): void {
    const button = this._buttonList[index ?? this._buttonList.length - 1];
    if (!button?.accept) {
      if (!this._busy) {
        super.resolve(index);
      }
      return;
    }
    void this._approve();
  }

  reject(): void {
    // Closing while the result is on its way would hide whether it was taken.
    if (!this._busy) {
      super.reject();
    }
  }

  private async _approve(): Promise<void> {
    if (this._busy || !this._form.validate()) {
      return;
    }
    this._setBusy(true);
    try {
      await this._submit(this._form.data);
      this._approved = true;
    } catch (error) {
      this._form.setFailure(`Not approved: ${describe(error)}`);
    } finally {
      this._setBusy(false);
    }
    if (this._approved) {
      // Closed as a plain dismissal: the dialog refuses its accept button while the browser
      // deems a field invalid, which can differ from the schema's verdict; `approved` tells.
      super.reject();
    }
  }

  private _setBusy(busy: boolean): void {
    this._busy = busy;
    this._form.setBusy(busy);
    this.node.querySelectorAll<HTMLButtonElement>('.jp-Dialog-footer button').forEach(node => {
      node.disabled = busy;
    });
  }

  private readonly _buttonList: ReadonlyArray<Dialog.IButton>;
  private _approved = false;
  private _busy = false;
}

interface IAskFormOptions extends IApprovalFormOptions {
  title: string;
  /** Sends the result; its error is shown in the dialog, which stays open. */
  submit: (data: JsonObject) => Promise<void>;
}

/** Shows a step's form until it is approved (and sent), cancelled, or the person asks for JSON. */
export async function askFormResult(options: IAskFormOptions): Promise<FormAnswer> {
  const { title, submit, ...form } = options;
  const body = new ApprovalFormBody(form);
  const dialog = new ApprovalFormDialog(title, body, submit);
  const answer = await dialog.launch();
  if (dialog.approved) {
    return { kind: 'approved' };
  }
  if (answer.button.actions.includes(EDIT_AS_JSON)) {
    return { kind: 'json', data: body.data };
  }
  return { kind: 'cancelled' };
}
