// The form of a human step, the pure part: which steps get a form, the data it starts with, and
// the check of a result against the step's JSON Schema.
import { readFileSync } from 'fs';
import { join } from 'path';
import { formOfStep, initialFormData, plainResult, schemaDefaults } from '../form';
import { checkResult } from '../formCheck';

// A grade from 1 to 5 and a comment, the form the UI test of the dialog uses too.
const FIXTURE = join(__dirname, '..', '..', '..', 'tests', 'fixtures', 'forms', 'review.json');
const review = (
  JSON.parse(readFileSync(FIXTURE, 'utf8')) as {
    form: { type: string; required: string[]; properties: Record<string, Record<string, unknown>> };
  }
).form;

describe('formOfStep', () => {
  it('is the schema of a step that declares a form and no notebook', () => {
    expect(formOfStep({ kind: 'manual', form: review })).toEqual(review);
  });

  it('is null for a step without a form, or with a notebook (it keeps its JSON dialog)', () => {
    expect(formOfStep({ kind: 'manual' })).toBeNull();
    expect(formOfStep({ kind: 'manual', notebook: 'label.ipynb', form: review })).toBeNull();
    expect(formOfStep(undefined)).toBeNull();
  });

  it('is null for a form whose root is not an object: a result always is one', () => {
    expect(formOfStep({ kind: 'manual', form: { type: 'string' } })).toBeNull();
    expect(formOfStep({ kind: 'manual', form: { type: 'array', items: {} } })).toBeNull();
  });

  it('takes properties without a type as an object, and drops a declared dialect', () => {
    const form = { $schema: 'https://json-schema.org/draft/2020-12/schema', properties: { ok: { type: 'boolean' } } };
    expect(formOfStep({ kind: 'manual', form })).toEqual({ type: 'object', properties: { ok: { type: 'boolean' } } });
  });

  it('is a copy: the form cannot change the step it came from', () => {
    const spec = { kind: 'manual', form: review };
    const schema = formOfStep(spec)!;
    (schema.properties as Record<string, unknown>).quality = {};
    expect(review.properties.quality).toEqual({ type: 'integer', minimum: 1, maximum: 5 });
  });
});

describe('initialFormData', () => {
  it("starts from the step's default", () => {
    expect(initialFormData(review, { quality: 3, comment: 'fine' })).toEqual({ quality: 3, comment: 'fine' });
  });

  it('is empty without a default, or with one that is not an object', () => {
    expect(initialFormData(review, undefined)).toEqual({});
    expect(initialFormData(review, [1, 2])).toEqual({});
    expect(initialFormData(review, null)).toEqual({});
  });

  it("fills the schema's own defaults, the step's default winning", () => {
    const schema = {
      type: 'object',
      properties: {
        quality: { type: 'integer', default: 3 },
        reviewer: {
          type: 'object',
          properties: { name: { type: 'string', default: 'anyone' }, team: { type: 'string' } }
        },
        note: { type: 'string' }
      }
    };
    expect(schemaDefaults(schema)).toEqual({ quality: 3, reviewer: { name: 'anyone' } });
    expect(initialFormData(schema, { quality: 5, reviewer: { team: 'x' } })).toEqual({
      quality: 5,
      reviewer: { name: 'anyone', team: 'x' }
    });
  });

  it('is a copy of the default', () => {
    const stepDefault = { tags: ['a'] };
    const data = initialFormData(review, stepDefault);
    (data.tags as string[]).push('b');
    expect(stepDefault.tags).toEqual(['a']);
  });
});

describe('plainResult', () => {
  it('drops fields a cleared input left undefined, as JSON does', () => {
    expect(plainResult({ quality: 2, comment: undefined })).toEqual({ quality: 2 });
    expect(plainResult(undefined)).toEqual({});
  });
});

describe('checkResult', () => {
  it('accepts a result that matches the schema', () => {
    const check = checkResult(review, { quality: 4, comment: 'sharp' });
    expect(check.messages).toEqual([]);
    expect(check.errorSchema).toEqual({});
    expect(check.schemaProblem).toBe('');
  });

  it('puts each error under its field, and says it in one line as the bridge does', () => {
    const check = checkResult(review, { quality: 7 });
    expect(check.messages).toEqual(['data.quality: must be at most 5, got 7']);
    expect(check.errorSchema).toEqual({ quality: { __errors: ['must be at most 5, got 7'] } });
  });

  it('says a required field is missing under that field', () => {
    const check = checkResult(review, { comment: 'no grade' });
    expect(check.messages).toEqual(["data: missing required field 'quality'"]);
    expect(check.errorSchema).toEqual({ quality: { __errors: ["missing required field 'quality'"] } });
  });

  it('reports every error, with the type errors', () => {
    const check = checkResult(review, { quality: 2.5, comment: 3 });
    expect(check.messages).toEqual([
      'data.quality: expected an integer, got 2.5',
      'data.comment: expected a string, got 3'
    ]);
  });

  it('puts errors in arrays under their index', () => {
    const schema = { type: 'object', properties: { labels: { type: 'array', items: { type: 'integer' } } } };
    const check = checkResult(schema, { labels: [1, 'x'] });
    expect(check.errorSchema).toEqual({ labels: { 1: { __errors: ['expected an integer, got "x"'] } } });
  });

  it('keeps the error of a field named __proto__ with its object', () => {
    const data = JSON.parse('{"__proto__": 1}') as Record<string, unknown>;
    const check = checkResult({ type: 'object', additionalProperties: false, properties: {} }, data);
    expect(check.messages).toEqual(['data.__proto__: not a field of the form (the form has no fields)']);
    expect(check.errorSchema.__errors).toEqual(['not a field of the form (the form has no fields)']);
    expect(Object.getPrototypeOf(check.errorSchema)).toBe(Object.prototype);
  });

  it('checks a pattern with catastrophic backtracking in linear time, as the bridge does', () => {
    // A backtracking engine would not finish this in any lifetime; RE2 answers at once.
    const schema = { type: 'object', properties: { word: { type: 'string', pattern: '^(a+)+$' } } };
    const check = checkResult(schema, { word: `${'a'.repeat(5000)}!` });
    expect(check.messages).toEqual([
      expect.stringMatching(/^data\.word: must match the pattern \^\(a\+\)\+\$, got "a+/)
    ]);
    expect(checkResult(schema, { word: 'a'.repeat(5000) }).messages).toEqual([]);
    const look = checkResult({ type: 'object', properties: { w: { type: 'string', pattern: '(?=a)a' } } }, { w: 'a' });
    expect(look.schemaProblem).toMatch(/^form\.properties\.w\.pattern: cannot be run in linear time/);
  });

  it('says when the schema itself cannot be used', () => {
    const check = checkResult({ type: 'object', properties: { x: { type: 'no-such-type' } } }, { x: 1 });
    expect(check.schemaProblem).toMatch(/^form\.properties\.x\.type: /);
  });
});
