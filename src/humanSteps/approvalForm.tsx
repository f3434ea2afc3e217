// The body of the Approve dialog of a step that declares a form: JupyterLab's own FormComponent
// (react-jsonschema-form) for the step's JSON Schema, each error next to its field once the person
// has typed something or tried to approve, and the bridge's answer when it refuses the result.
// React renders everything as text: nothing from the schema or typed by the person becomes HTML.
import { FormComponent, IFormComponentProps, ReactWidget } from '@jupyterlab/ui-components';
import type { ReadonlyJSONObject } from '@lumino/coreutils';
import validatorAjv8 from '@rjsf/validator-ajv8';
import React from 'react';

import { JsonObject, plainResult } from './form';
import { checkResult, IFormCheck } from './formCheck';

// The form is typed for JSON objects; the validator, for any data: the same at run time.
const validator = validatorAjv8 as unknown as IFormComponentProps['validator'];

export interface IApprovalFormOptions {
  schema: JsonObject;
  /** What the form starts with. */
  data: JsonObject;
  hint?: string;
  /** Prefix of the fields' ids, unique per step (no `_`: the form splits ids on it). */
  idPrefix: string;
}

export class ApprovalFormBody extends ReactWidget {
  constructor(options: IApprovalFormOptions) {
    super();
    this.addClass('jp-PerQueue-approval-form');
    this._schema = options.schema;
    this._data = options.data;
    this._hint = options.hint ?? '';
    this._idPrefix = options.idPrefix;
    this._check = checkResult(this._schema, this._data);
    // Errors show once the person acts: typing is seen here, before the form's own handler runs.
    const touched = () => {
      this._showErrors = true;
    };
    this.node.addEventListener('input', touched, true);
    this.node.addEventListener('change', touched, true);
  }

  /** The form's data as it would be sent. */
  get data(): JsonObject {
    return plainResult(this._data);
  }

  /** Checks the data and shows every error; whether it may be sent. */
  validate(): boolean {
    this._check = checkResult(this._schema, this.data);
    this._showErrors = true;
    this.update();
    return this._check.messages.length === 0;
  }

  /** While the result is being sent the form cannot be edited. */
  setBusy(busy: boolean): void {
    this._busy = busy;
    this.update();
  }

  /** Why the result was refused ('' clears it). */
  setFailure(message: string): void {
    this._failure = message;
    this.update();
  }

  protected render(): React.ReactElement {
    const problem = this._check.schemaProblem ? `The form's schema is not valid: ${this._check.schemaProblem}` : '';
    const alert = this._failure || problem;
    return (
      <>
        {this._hint && <p className="jp-PerQueue-result-hint">{this._hint}</p>}
        <FormBoundary>
          <FormComponent
            schema={this._schema}
            formData={this._data as ReadonlyJSONObject}
            validator={validator}
            // Validation is ours (checkResult): the same errors the JSON dialog and the test see.
            noValidate
            extraErrors={this._showErrors ? this._check.errorSchema : undefined}
            showErrorList={false}
            onChange={event => this._onChange(event.formData)}
            formContext={{ defaultFormData: {} }}
            idPrefix={this._idPrefix}
            disabled={this._busy}
            compact
          />
        </FormBoundary>
        <p className="jp-PerQueue-result-error" role="alert" hidden={!alert}>
          {alert}
        </p>
      </>
    );
  }

  private _onChange(formData: unknown): void {
    this._data = (formData ?? {}) as JsonObject;
    this._failure = '';
    this._check = checkResult(this._schema, this.data);
    this.update();
  }

  private readonly _schema: JsonObject;
  private readonly _hint: string;
  private readonly _idPrefix: string;
  private _data: JsonObject;
  private _check: IFormCheck;
  private _showErrors = false;
  private _busy = false;
  private _failure = '';
}

interface IFormBoundaryState {
  error: string;
}

/** A schema the form cannot draw leaves a message (and the JSON fallback), not a blank dialog. */
class FormBoundary extends React.Component<{ children: React.ReactNode }, IFormBoundaryState> {
  state: IFormBoundaryState = { error: '' };

  static getDerivedStateFromError(error: unknown): IFormBoundaryState {
    return { error: error instanceof Error ? error.message : String(error) };
  }

  render(): React.ReactNode {
    if (this.state.error) {
      return (
        <p className="jp-PerQueue-result-error" role="alert">
          This form cannot be shown ({this.state.error}). Use Edit as JSON to type the result.
        </p>
      );
    }
    return this.props.children;
  }
}
