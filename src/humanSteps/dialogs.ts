// The small dialogs of human steps: the result to approve with (a JSON object, checked before it
// is sent, the dialog shown again with the error until it is valid or cancelled) and the reason
// of a rejection. Text only; nothing typed is ever rendered as HTML.
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { parseResult } from './steps';
import { el } from '../ui';

class ResultEditor extends Widget implements Dialog.IBodyWidget<string> {
  constructor(text: string, hint: string, error: string) {
    super();
    this.addClass('jp-PerQueue-result-editor');
    if (hint) {
      this.node.appendChild(el('p', 'jp-PerQueue-result-hint', hint));
    }
    this._area = el('textarea', 'jp-mod-styled jp-PerQueue-result-text');
    this._area.value = text;
    this._area.rows = Math.min(16, Math.max(5, text.split('\n').length + 1));
    this._area.spellcheck = false;
    this._area.setAttribute('aria-label', 'Result (a JSON object)');
    this.node.appendChild(this._area);
    const message = el('p', 'jp-PerQueue-result-error', error);
    message.hidden = !error;
    message.setAttribute('role', 'alert');
    this.node.appendChild(message);
  }

  getValue(): string {
    return this._area.value;
  }

  private readonly _area: HTMLTextAreaElement;
}

/**
 * Asks for the result of a step: a JSON object, or null when cancelled. `initial` is the text the
 * editor starts with; `accept` returns why an object is refused ('' to take it): a step's form
 * checks it against its schema, and sends it, there.
 */
export async function askResult(
  title: string,
  initial: string,
  hint = '',
  accept: (value: Record<string, unknown>) => string | Promise<string> = () => '',
  acceptLabel = 'Approve'
): Promise<Record<string, unknown> | null> {
  let text = initial;
  let error = '';
  for (;;) {
    const answer = await showDialog({
      title,
      body: new ResultEditor(text, hint, error),
      buttons: [Dialog.cancelButton(), Dialog.okButton({ label: acceptLabel })],
      focusNodeSelector: 'textarea'
    });
    if (!answer.button.accept) {
      return null;
    }
    text = answer.value ?? '';
    const parsed = parseResult(text);
    error = parsed.ok ? await accept(parsed.value) : parsed.error;
    if (parsed.ok && !error) {
      return parsed.value;
    }
  }
}

class ReasonEditor extends Widget implements Dialog.IBodyWidget<string> {
  constructor(hint: string) {
    super();
    this.addClass('jp-PerQueue-reason-editor');
    if (hint) {
      this.node.appendChild(el('p', 'jp-PerQueue-result-hint', hint));
    }
    this._input = el('input', 'jp-mod-styled jp-PerQueue-reason-text');
    this._input.type = 'text';
    this._input.placeholder = 'Reason (optional)';
    this._input.setAttribute('aria-label', 'Reason');
    this.node.appendChild(this._input);
  }

  getValue(): string {
    return this._input.value;
  }

  private readonly _input: HTMLInputElement;
}

/** Asks why a step is rejected: the reason ('' allowed), or null when cancelled. */
export async function askReason(title: string, hint = ''): Promise<string | null> {
  const answer = await showDialog({
    title,
    body: new ReasonEditor(hint),
    buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Reject' })],
    focusNodeSelector: 'input'
  });
  return answer.button.accept ? (answer.value ?? '') : null;
}
