// The check of a human step's result against its form's JSON Schema, with the validator (ajv 8)
// JupyterLab's settings forms use: errors by field for the form, one line each for the JSON dialog.
import validator from '@rjsf/validator-ajv8';

import type { JsonObject } from './humanStepsForm';

/** The errors of a result by field, as react-jsonschema-form shows them next to each field. */
export type FormErrorSchema = ReturnType<typeof validator.validateFormData>['errorSchema'];

export interface IFormCheck {
  /** By field, for the form. */
  errorSchema: FormErrorSchema;
  /** One line per error ("quality: must be <= 5"), for the JSON dialog. */
  messages: string[];
  /** Why ajv refused the schema itself ('' when it compiled): no field can show that. */
  schemaProblem: string;
}

/** ajv says "must have required property 'quality'" under the field quality itself. */
const REQUIRED_MESSAGE = 'a value is required';

/** Checks a result against a step's form schema. */
export function checkResult(schema: JsonObject, data: JsonObject): IFormCheck {
  const { errors, errorSchema } = validator.validateFormData(data, schema, undefined, (list) =>
    list.map((error) => (error.name === 'required' ? { ...error, message: REQUIRED_MESSAGE } : error)),
  );
  const messages = errors.map((error) => {
    const where = (error.property ?? '').replace(/^\./, '');
    return where ? `${where}: ${error.message ?? ''}` : (error.message ?? error.stack);
  });
  const schemaProblem = (errorSchema as { $schema?: { __errors?: string[] } }).$schema?.__errors?.[0] ?? '';
  return { errorSchema, messages, schemaProblem };
}
