// The check of a human step's result against its form's JSON Schema, by the rule the bridge
// applies on approval (core/formSchema.ts), so the dialog says what the bridge would say:
// errors by field for the form, one line each for the JSON dialog.
import { checkFormSchema, describeProblem, validateAgainstForm } from '../../core/formSchema.js';

import type { JsonObject } from './form';

/**
 * The errors of a result by field, as react-jsonschema-form shows them next to each field:
 * `{ quality: { __errors: [...] }, labels: { 2: { __errors: [...] } } }`, the root's at the top.
 */
interface IFormErrorSchema {
  __errors?: string[];
  [field: string]: IFormErrorSchema | string[] | undefined;
}

export interface IFormCheck {
  /** By field, for the form. */
  errorSchema: IFormErrorSchema;
  /** One line per error ("data.quality: must be at most 5, got 7"), for the JSON dialog. */
  messages: string[];
  /** Why the schema itself cannot be used ('' when it can): no field can show that. */
  schemaProblem: string;
}

/** Checks a result against a step's form schema. */
export function checkResult(schema: JsonObject, data: JsonObject): IFormCheck {
  const refused = checkFormSchema(schema);
  const problems = validateAgainstForm(schema, data);
  const errorSchema: IFormErrorSchema = {};
  for (const p of problems) {
    let at = errorSchema;
    for (const key of p.field ?? []) {
      // A field named __proto__ cannot be a plain key here: its error stays with its object.
      if (String(key) === '__proto__') break;
      at = (at[String(key)] ??= {}) as IFormErrorSchema;
    }
    (at.__errors ??= []).push(p.problem);
  }
  return {
    errorSchema,
    messages: problems.map(describeProblem),
    schemaProblem: refused.length ? describeProblem(refused[0]) : ''
  };
}
