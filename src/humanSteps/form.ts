// The form of a human step, the pure part: which steps get a form in the Approve dialog and the
// data it starts with (the step's default over the schema's own defaults). The check of a result
// is in formCheck.ts (the bridge's own rule, core/formSchema.ts).
import type { IApproval } from './steps';

export type JsonObject = Record<string, unknown>;

function isPlainObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The JSON Schema to render for a step, or null when the step keeps the JSON dialog: it has no
 * `form`, or it has a notebook (where the person works instead), or its form does not describe an
 * object (a step's result is always one).
 */
export function formOfStep(spec: IApproval['spec'] | undefined): JsonObject | null {
  if (!spec || spec.notebook || !isPlainObject(spec.form)) {
    return null;
  }
  const schema = plainResult(spec.form);
  // The form component's validator (ajv, draft-07 only) would refuse a newer declared dialect.
  delete schema.$schema;
  if (schema.type === undefined) {
    return { type: 'object', ...schema };
  }
  return schema.type === 'object' ? schema : null;
}

/** A JSON copy of a value; fields left `undefined` by a cleared input are dropped, as JSON does. */
export function plainResult(data: unknown): JsonObject {
  if (!isPlainObject(data)) {
    return {};
  }
  return JSON.parse(JSON.stringify(data)) as JsonObject;
}

/** The `default` of each property of an object schema (recursively), where it declares one. */
export function schemaDefaults(schema: JsonObject): JsonObject {
  const out: JsonObject = {};
  const properties = isPlainObject(schema.properties) ? schema.properties : {};
  for (const [key, property] of Object.entries(properties)) {
    if (!isPlainObject(property)) {
      continue;
    }
    if (property.default !== undefined) {
      out[key] = plainCopy(property.default);
    } else if (property.type === 'object' || isPlainObject(property.properties)) {
      const nested = schemaDefaults(property);
      if (Object.keys(nested).length) {
        out[key] = nested;
      }
    }
  }
  return out;
}

/**
 * The data a step's form starts with: the schema's own defaults, overlaid with the step's
 * `default` result when it has one (what the workflow would use at its timeout).
 */
export function initialFormData(schema: JsonObject, stepDefault: unknown): JsonObject {
  return mergeObjects(schemaDefaults(schema), plainResult(stepDefault));
}

function mergeObjects(base: JsonObject, over: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [key, value] of Object.entries(over)) {
    out[key] = isPlainObject(value) && isPlainObject(out[key]) ? mergeObjects(out[key] as JsonObject, value) : value;
  }
  return out;
}

function plainCopy(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}
