// The form of a manual step (core/formSchema.ts): every supported keyword accepts what it should
// and refuses the rest with the JSON path named; every way a schema can be unusable is refused
// at submit with the path of the bad keyword.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkFormSchema, describeProblem, FORM_KEYWORDS, validateAgainstForm } from '../../core/formSchema.js';

type Obj = Record<string, unknown>;

/** The problems of `value` against `schema`, as the messages read. */
const errors = (schema: Obj, value: unknown, root = 'data'): string[] =>
  validateAgainstForm(schema, value, root).map(describeProblem);

/** A one-field form: the field's schema is what is tested, at data.x. */
const field = (schema: Obj): Obj => ({ type: 'object', properties: { x: schema } });
const fieldErrors = (schema: Obj, x: unknown): string[] => errors(field(schema), { x });

/** The schema problems, as `path: problem`. */
const schemaProblems = (schema: unknown): string[] => checkFormSchema(schema).map(describeProblem);

function accepts(schema: Obj, ...values: unknown[]): void {
  for (const x of values)
    assert.deepEqual(fieldErrors(schema, x), [], `${JSON.stringify(schema)} should accept ${JSON.stringify(x)}`);
}

describe('type', () => {
  const cases: [string, unknown[], unknown[]][] = [
    ['object', [{}, { a: 1 }], [[], 'x', 1, null, true]],
    ['array', [[], [1, 'a']], [{}, 'x', 1, null]],
    ['string', ['', 'x'], [1, null, [], {}, true]],
    ['number', [0, 1.5, -3, 1e300], ['1', null, true, []]],
    ['integer', [0, -7, 2.0, 1e15], [1.5, '1', null]],
    ['boolean', [true, false], [0, 'true', null]],
    ['null', [null], [0, '', false, {}]]
  ];
  for (const [type, good, bad] of cases) {
    it(`'${type}' accepts its values and refuses others, naming what it got`, () => {
      accepts({ type }, ...good);
      for (const x of bad) {
        const [only, ...rest] = fieldErrors({ type }, x);
        assert.deepEqual(rest, []);
        assert.match(only, new RegExp(`^data\\.x: expected (a |an )?${type}, got `), only);
      }
    });
  }

  it('shows what it got: short values verbatim, containers by kind, long strings cut', () => {
    assert.deepEqual(fieldErrors({ type: 'number' }, 'x'), ['data.x: expected a number, got "x"']);
    assert.deepEqual(fieldErrors({ type: 'number' }, null), ['data.x: expected a number, got null']);
    assert.deepEqual(fieldErrors({ type: 'string' }, 3), ['data.x: expected a string, got 3']);
    assert.deepEqual(fieldErrors({ type: 'string' }, [1]), ['data.x: expected a string, got an array']);
    assert.deepEqual(fieldErrors({ type: 'string' }, { a: 1 }), ['data.x: expected a string, got an object']);
    assert.deepEqual(fieldErrors({ type: 'null' }, false), ['data.x: expected null, got false']);
    const [long] = fieldErrors({ type: 'number' }, 'y'.repeat(200));
    assert.ok(long.length < 100 && long.endsWith('..."'), long);
  });

  it('a list of types accepts any of them', () => {
    accepts({ type: ['string', 'null'] }, 'a', null);
    assert.deepEqual(fieldErrors({ type: ['string', 'null'] }, 1), ['data.x: expected a string or null, got 1']);
    accepts({ type: ['integer', 'boolean'] }, 1, true);
    assert.deepEqual(fieldErrors({ type: ['integer', 'boolean'] }, 1.5), [
      'data.x: expected an integer or a boolean, got 1.5'
    ]);
  });

  it('a wrong type says only that: the keywords for the right type would repeat it', () => {
    assert.deepEqual(fieldErrors({ type: 'string', minLength: 3, pattern: '^a', enum: ['abc'] }, 12), [
      'data.x: expected a string, got 12'
    ]);
  });

  it('no type: any value, and each keyword applies only to the values it is about', () => {
    accepts({}, 1, 'a', null, [], {});
    accepts({ minimum: 5, minLength: 5, minItems: 5, required: ['q'] }, 1000, 'abcdef', [1, 2, 3, 4, 5], null, true, {
      q: 1
    });
    assert.deepEqual(fieldErrors({ minimum: 5, minLength: 5 }, 'abc'), [
      'data.x: must be at least 5 characters long, got 3: "abc"'
    ]);
  });
});

describe('values from the extended JSON codec', () => {
  const tuple = (...items: unknown[]) => ({ __pq__: 'tuple', items });
  const float = (value: string) => ({ __pq__: 'float', value });

  it('a tuple is an array: its items, count and equality are checked', () => {
    accepts({ type: 'array', items: { type: 'integer' }, minItems: 2 }, tuple(1, 2));
    assert.deepEqual(fieldErrors({ type: 'array', items: { type: 'integer' } }, tuple(1, 'b')), [
      'data.x[1]: expected an integer, got "b"'
    ]);
    assert.deepEqual(fieldErrors({ maxItems: 1 }, tuple(1, 2)), ['data.x: must have at most 1 item, got 2']);
    assert.deepEqual(fieldErrors({ type: 'string' }, tuple(1)), ['data.x: expected a string, got a tuple']);
    accepts({ const: [1, [2]] }, tuple(1, tuple(2)));
  });

  it('a non-finite float is a number that no bound admits', () => {
    accepts({ type: 'number' }, float('nan'), float('inf'), float('-inf'));
    assert.deepEqual(fieldErrors({ type: 'integer' }, float('inf')), ['data.x: expected an integer, got inf']);
    assert.deepEqual(fieldErrors({ minimum: 0 }, float('nan')), ['data.x: must be at least 0, got nan']);
    assert.deepEqual(fieldErrors({ maximum: 10 }, float('inf')), ['data.x: must be at most 10, got inf']);
    accepts({ minimum: 0 }, float('inf'));
    accepts({ exclusiveMaximum: 0 }, float('-inf'));
  });

  it('other tagged values (ndarray, bytes...) match no type and are named by their tag', () => {
    const nd = { __pq__: 'ndarray', dtype: '<f8', shape: [2], data: 'AAAAAAAAAAAAAAAAAAAAAA==' };
    accepts({}, nd);
    for (const type of ['object', 'array', 'number']) {
      assert.deepEqual(fieldErrors({ type }, nd), [
        `data.x: expected ${type === 'object' || type === 'array' ? 'an' : 'a'} ${type}, got a value of type ndarray, which a form cannot describe`
      ]);
    }
    assert.deepEqual(fieldErrors({ const: 1 }, { __pq__: 'bytes', data: '' }), [
      'data.x: must be 1, got a value of type bytes, which a form cannot describe'
    ]);
  });
});

describe('objects: properties, required, additionalProperties', () => {
  const form = {
    type: 'object',
    properties: {
      quality: { type: 'number' },
      labels: { type: 'array', items: { type: 'integer' } },
      'two words': { type: 'string' }
    },
    required: ['quality', 'labels']
  };

  it('a matching object has no errors; fields not listed are free by default', () => {
    assert.deepEqual(errors(form, { quality: 0.5, labels: [1, 0], extra: { any: 'thing' } }), []);
  });

  it('each missing required field is named at the object that lacks it', () => {
    assert.deepEqual(errors(form, {}), [
      "data: missing required field 'quality'",
      "data: missing required field 'labels'"
    ]);
    assert.deepEqual(errors(form, { quality: 1 }), ["data: missing required field 'labels'"]);
  });

  it('a field present with null is present (required means the key is there)', () => {
    assert.deepEqual(errors({ required: ['a'] }, { a: null }), []);
  });

  it('fields are checked only when given', () => {
    assert.deepEqual(errors({ properties: { a: { type: 'string' } } }, {}), []);
  });

  it('paths use dots for names and quote the others', () => {
    assert.deepEqual(errors(form, { quality: 'high', labels: [1, 'x', 2, 3.5], 'two words': 5 }), [
      'data.quality: expected a number, got "high"',
      'data.labels[1]: expected an integer, got "x"',
      'data.labels[3]: expected an integer, got 3.5',
      'data["two words"]: expected a string, got 5'
    ]);
  });

  it('additionalProperties false refuses each field the form does not have, naming the ones it has', () => {
    const closed = { ...form, additionalProperties: false };
    assert.deepEqual(errors(closed, { quality: 1, labels: [], qualty: 1, 'x-y': 2 }), [
      "data.qualty: not a field of the form (the form has 'quality', 'labels', 'two words')",
      `data["x-y"]: not a field of the form (the form has 'quality', 'labels', 'two words')`
    ]);
    assert.deepEqual(errors({ additionalProperties: false }, { a: 1 }), [
      'data.a: not a field of the form (the form has no fields)'
    ]);
    assert.deepEqual(errors({ ...form, additionalProperties: true }, { quality: 1, labels: [], more: 1 }), []);
  });

  it('nested objects and arrays of objects give full paths', () => {
    const nested = {
      type: 'object',
      properties: {
        boxes: {
          type: 'array',
          items: {
            type: 'object',
            required: ['label'],
            properties: {
              label: { enum: ['cat', 'dog'] },
              corners: { type: 'array', items: { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2 } }
            }
          }
        }
      }
    };
    assert.deepEqual(
      errors(nested, {
        boxes: [
          {
            label: 'cat',
            corners: [
              [0, 0],
              [1, 1]
            ]
          }
        ]
      }),
      []
    );
    assert.deepEqual(
      errors(nested, { boxes: [{ label: 'cat' }, { corners: [[0, 0], [1, 'y'], [2]] }, { label: 'cow' }] }),
      [
        "data.boxes[1]: missing required field 'label'",
        'data.boxes[1].corners[1][1]: expected a number, got "y"',
        'data.boxes[1].corners[2]: must have at least 2 items, got 1',
        'data.boxes[2].label: must be one of "cat", "dog", got "cow"'
      ]
    );
  });

  it('each problem names the value it is about as keys and indexes, a missing field as the field', () => {
    const nested = {
      type: 'object',
      required: ['title'],
      additionalProperties: false,
      properties: {
        title: { type: 'string' },
        boxes: { type: 'array', items: { type: 'object', required: ['label'], properties: { w: { maximum: 1 } } } }
      }
    };
    const problems = validateAgainstForm(nested, { boxes: [{ label: 'a', w: 2 }, {}], extra: 1 });
    assert.deepEqual(
      problems.map(p => [p.path, p.field]),
      [
        ['data', ['title']],
        ['data.boxes[0].w', ['boxes', 0, 'w']],
        ['data.boxes[1]', ['boxes', 1, 'label']],
        ['data.extra', ['extra']]
      ]
    );
    assert.deepEqual(validateAgainstForm({ type: 'object' }, 3)[0].field, [], 'the root itself');
  });

  it('the root is named as asked (validateSpec checks a default as "default")', () => {
    assert.deepEqual(errors(form, { quality: 'x', labels: [] }, 'default'), [
      'default.quality: expected a number, got "x"'
    ]);
  });
});

describe('arrays: items, minItems, maxItems', () => {
  it('items applies to every item', () => {
    accepts({ items: { type: 'string' } }, [], ['a', 'b']);
    assert.deepEqual(fieldErrors({ items: { type: 'string' } }, ['a', 1, 'c', null]), [
      'data.x[1]: expected a string, got 1',
      'data.x[3]: expected a string, got null'
    ]);
  });

  it('minItems and maxItems count items, inclusive', () => {
    accepts({ minItems: 1, maxItems: 2 }, [1], [1, 2]);
    assert.deepEqual(fieldErrors({ minItems: 1 }, []), ['data.x: must have at least 1 item, got 0']);
    assert.deepEqual(fieldErrors({ minItems: 3 }, [1]), ['data.x: must have at least 3 items, got 1']);
    assert.deepEqual(fieldErrors({ maxItems: 2 }, [1, 2, 3]), ['data.x: must have at most 2 items, got 3']);
  });
});

describe('enum and const', () => {
  it('enum compares whole values, numbers by value', () => {
    accepts({ enum: ['a', 1, null, [1, 2], { k: true }] }, 'a', 1, 1.0, null, [1, 2], { k: true });
    assert.deepEqual(fieldErrors({ enum: ['good', 'bad'] }, 'meh'), [
      'data.x: must be one of "good", "bad", got "meh"'
    ]);
    assert.deepEqual(fieldErrors({ enum: [[1, 2]] }, [2, 1]), ['data.x: must be one of [1,2], got an array']);
    assert.deepEqual(fieldErrors({ enum: [{ k: true }] }, { k: true, j: 1 }), [
      'data.x: must be one of {"k":true}, got an object'
    ]);
    assert.deepEqual(fieldErrors({ enum: ['1'] }, 1), ['data.x: must be one of "1", got 1']);
  });

  it('const is an enum of one', () => {
    accepts({ const: { a: [1, null] } }, { a: [1, null] });
    assert.deepEqual(fieldErrors({ const: true }, false), ['data.x: must be true, got false']);
    assert.deepEqual(fieldErrors({ const: null }, 0), ['data.x: must be null, got 0']);
    assert.deepEqual(fieldErrors({ const: 3 }, 4), ['data.x: must be 3, got 4']);
  });
});

describe('numbers: minimum, maximum, exclusiveMinimum, exclusiveMaximum', () => {
  it('inclusive bounds admit the bound', () => {
    accepts({ minimum: 0, maximum: 1 }, 0, 0.5, 1);
    assert.deepEqual(fieldErrors({ minimum: 0 }, -0.1), ['data.x: must be at least 0, got -0.1']);
    assert.deepEqual(fieldErrors({ maximum: 1 }, 2), ['data.x: must be at most 1, got 2']);
  });

  it('exclusive bounds refuse the bound', () => {
    accepts({ exclusiveMinimum: 0, exclusiveMaximum: 1 }, 0.001, 0.999);
    assert.deepEqual(fieldErrors({ exclusiveMinimum: 0 }, 0), ['data.x: must be greater than 0, got 0']);
    assert.deepEqual(fieldErrors({ exclusiveMaximum: 1 }, 1), ['data.x: must be less than 1, got 1']);
  });

  it('integers get the same bounds, and several broken bounds are all reported', () => {
    assert.deepEqual(fieldErrors({ type: 'integer', minimum: 2, exclusiveMinimum: 3 }, 1), [
      'data.x: must be at least 2, got 1',
      'data.x: must be greater than 3, got 1'
    ]);
  });
});

describe('strings: minLength, maxLength, pattern, format', () => {
  it('lengths count characters, not UTF-16 units', () => {
    accepts({ minLength: 2, maxLength: 2 }, 'ab', 'é😀');
    assert.deepEqual(fieldErrors({ maxLength: 1 }, '😀😀'), [
      'data.x: must be at most 1 character long, got 2: "😀😀"'
    ]);
    assert.deepEqual(fieldErrors({ minLength: 3 }, 'ab'), ['data.x: must be at least 3 characters long, got 2: "ab"']);
  });

  it('pattern matches anywhere unless anchored', () => {
    accepts({ pattern: 'cat' }, 'a cat here');
    accepts({ pattern: '^[a-z]+-\\d{2}$' }, 'abc-12');
    assert.deepEqual(fieldErrors({ pattern: '^[a-z]+-\\d{2}$' }, 'abc-123'), [
      'data.x: must match the pattern ^[a-z]+-\\d{2}$, got "abc-123"'
    ]);
    accepts({ pattern: '^\\p{L}+$' }, 'héllo');
  });

  it('format is accepted and not enforced; title, description, default, examples are annotations', () => {
    accepts(
      { format: 'email', title: 'Mail', description: 'where to write', default: 'a@b.c', examples: ['x@y.z'] },
      'not an address'
    );
  });
});

describe('the number of problems is limited', () => {
  it('a long wrong array reports the first problems only', () => {
    const many = validateAgainstForm(field({ items: { type: 'string' } }), {
      x: Array.from({ length: 1000 }, (_, i) => i)
    });
    assert.equal(many.length, 20);
    assert.equal(many[19].path, 'data.x[19]');
    assert.equal(
      validateAgainstForm(field({ items: { type: 'string' } }), { x: [1, 2, 3] }, 'data', { limit: 2 }).length,
      2
    );
  });
});

describe('checkFormSchema', () => {
  it('accepts a schema using every supported keyword', () => {
    const every = {
      type: 'object',
      title: 'Labels',
      description: 'what the person gives',
      required: ['quality'],
      additionalProperties: false,
      properties: {
        quality: {
          type: 'number',
          minimum: 0,
          maximum: 1,
          exclusiveMinimum: -1,
          exclusiveMaximum: 2,
          default: 0.5,
          examples: [0.1]
        },
        labels: { type: 'array', items: { type: ['integer', 'null'] }, minItems: 0, maxItems: 10 },
        note: { type: 'string', minLength: 0, maxLength: 100, pattern: '^\\w*$', format: 'text' },
        kind: { enum: ['a', 'b'] },
        version: { const: 1 }
      }
    };
    assert.deepEqual(checkFormSchema(every), []);
    assert.deepEqual(checkFormSchema({}), []);
    const used = new Set<string>();
    const walk = (s: Obj) => {
      for (const [k, v] of Object.entries(s)) {
        used.add(k);
        if (k === 'properties') Object.values(v as Obj).forEach(x => walk(x as Obj));
        if (k === 'items') walk(v as Obj);
      }
    };
    walk(every);
    assert.deepEqual([...used].sort(), [...FORM_KEYWORDS].sort(), 'the test above uses every supported keyword');
  });

  it('accepts a declared dialect ($schema) at the root only, as a string', () => {
    assert.deepEqual(checkFormSchema({ $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object' }), []);
    assert.deepEqual(schemaProblems({ $schema: 7 }), ['form.$schema: must be a string, got 7']);
    assert.deepEqual(
      checkFormSchema({ properties: { a: { $schema: 'x' } } }).map(p => p.path),
      ['form.properties.a.$schema']
    );
  });

  it('refuses each unsupported keyword by name, wherever it is', () => {
    for (const keyword of [
      'oneOf',
      'anyOf',
      'allOf',
      'not',
      '$ref',
      '$defs',
      'if',
      'patternProperties',
      'propertyNames',
      'uniqueItems',
      'multipleOf',
      'dependentRequired',
      'prefixItems',
      'contains'
    ]) {
      const [top] = schemaProblems({ [keyword]: {} });
      assert.match(
        top,
        new RegExp(
          `^form\\.${keyword.replace('$', '\\$')}: the keyword '${keyword.replace('$', '\\$')}' is not supported in a form; supported: type, properties`
        ),
        top
      );
    }
    assert.deepEqual(
      checkFormSchema({ properties: { a: { items: { type: 'string', uniqueItems: true } } } }).map(p => p.path),
      ['form.properties.a.items.uniqueItems']
    );
    assert.deepEqual(
      checkFormSchema({ properties: { 'my field': { Type: 'string' } } }).map(p => p.path),
      ['form.properties["my field"].Type']
    );
  });

  it('refuses malformed values of each keyword, naming the keyword', () => {
    const cases: [Obj, string, RegExp][] = [
      [
        { type: 'objekt' },
        'form.type',
        /unknown type "objekt"; expected object, array, string, number, integer, boolean, null/
      ],
      [{ type: ['string', 'float'] }, 'form.type', /unknown type "float"/],
      [{ type: [] }, 'form.type', /at least one type/],
      [{ type: ['object', 'object'] }, 'form.type', /listed twice/],
      [{ type: 3 }, 'form.type', /unknown type 3/],
      [{ properties: [] }, 'form.properties', /mapping field names to schemas, got a list/],
      [{ properties: { a: 'string' } }, 'form.properties.a', /a schema must be a JSON object, got "string"/],
      [{ properties: { a: true } }, 'form.properties.a', /a schema must be a JSON object, got true/],
      [{ required: 'a' }, 'form.required', /list of field names, got "a"/],
      [{ required: [1] }, 'form.required', /list of field names/],
      [{ required: ['a', 'a'] }, 'form.required', /listed twice/],
      [
        { additionalProperties: { type: 'string' } },
        'form.additionalProperties',
        /only true or false is supported, got an object/
      ],
      [{ items: [{ type: 'string' }] }, 'form.items', /tuple form\) is not supported/],
      [{ items: 'string' }, 'form.items', /a schema must be a JSON object/],
      [{ enum: [] }, 'form.enum', /non-empty list/],
      [{ enum: 'a' }, 'form.enum', /non-empty list of values, got "a"/],
      [{ enum: [Number.NaN] }, 'form.enum', /must be JSON/],
      [{ const: Infinity }, 'form.const', /must be JSON/],
      [{ minimum: '0' }, 'form.minimum', /must be a number, got "0"/],
      [{ maximum: null }, 'form.maximum', /must be a number, got null/],
      [
        { exclusiveMinimum: true },
        'form.exclusiveMinimum',
        /the bound itself, a number \(JSON Schema draft 4's boolean form is not supported\)/
      ],
      [{ exclusiveMaximum: Infinity }, 'form.exclusiveMaximum', /must be a number/],
      [{ minLength: -1 }, 'form.minLength', /whole number >= 0, got -1/],
      [{ maxLength: 1.5 }, 'form.maxLength', /whole number >= 0, got 1.5/],
      [{ minItems: '1' }, 'form.minItems', /whole number >= 0/],
      [{ maxItems: -2 }, 'form.maxItems', /whole number >= 0/],
      [{ pattern: '(' }, 'form.pattern', /not a valid regular expression \(ECMA-262\)/],
      [{ pattern: '(?P<name>x)' }, 'form.pattern', /not a valid regular expression/],
      [{ pattern: 5 }, 'form.pattern', /regular expression as a string, got 5/],
      [{ title: 1 }, 'form.title', /must be a string, got 1/],
      [{ description: ['a'] }, 'form.description', /must be a string, got a list/],
      [{ format: true }, 'form.format', /must be a string/],
      [{ default: Number.NaN }, 'form.default', /must be JSON/],
      [{ examples: 'a' }, 'form.examples', /list of JSON values, got "a"/]
    ];
    for (const [schema, path, says] of cases) {
      const problems = checkFormSchema(schema);
      assert.equal(problems.length, 1, `${JSON.stringify(schema)}: ${problems.map(describeProblem).join(' | ')}`);
      assert.equal(problems[0].path, path, JSON.stringify(schema));
      assert.match(problems[0].problem, says, JSON.stringify(schema));
    }
  });

  it('refuses bounds no value can meet', () => {
    const cases: [Obj, string][] = [
      [{ minimum: 2, maximum: 1 }, 'form.minimum: minimum 2 is above maximum 1: no value can match'],
      [
        { exclusiveMinimum: 1, maximum: 1 },
        'form.exclusiveMinimum: exclusiveMinimum 1 is above maximum 1: no value can match'
      ],
      [{ minimum: 1, exclusiveMaximum: 1 }, 'form.minimum: minimum 1 is above exclusiveMaximum 1: no value can match'],
      [
        { exclusiveMinimum: 1, exclusiveMaximum: 1 },
        'form.exclusiveMinimum: exclusiveMinimum 1 is above exclusiveMaximum 1: no value can match'
      ],
      [{ minLength: 3, maxLength: 2 }, 'form.minLength: minLength 3 is above maxLength 2: no value can match'],
      [{ minItems: 1, maxItems: 0 }, 'form.minItems: minItems 1 is above maxItems 0: no value can match'],
      [
        { properties: { a: {} }, required: ['a', 'b'], additionalProperties: false },
        "form.required: 'b' is required but not in properties, and additionalProperties is false: no data can match"
      ]
    ];
    for (const [schema, says] of cases) assert.deepEqual(schemaProblems(schema), [says]);
    assert.deepEqual(
      checkFormSchema({ minimum: 1, maximum: 1, minLength: 2, maxLength: 2 }),
      [],
      'equal inclusive bounds admit one value'
    );
  });

  it('the root must allow an object, since approved data is one', () => {
    assert.deepEqual(schemaProblems({ type: 'array' }), [
      `form.type: the data of a manual step is a JSON object, so the form's type must allow 'object', got "array"`
    ]);
    assert.deepEqual(checkFormSchema({ type: ['object', 'null'] }), []);
    assert.deepEqual(checkFormSchema({ properties: { x: { type: 'array' } } }), [], 'only the root is the data');
  });

  it('a schema that is not an object, and every problem of a schema at once', () => {
    assert.deepEqual(schemaProblems([]), ['form: a schema must be a JSON object, got a list']);
    assert.deepEqual(schemaProblems('x'), ['form: a schema must be a JSON object, got "x"']);
    assert.deepEqual(
      checkFormSchema({ oneOf: [], properties: { a: { minimum: 'x' } }, items: [] }).map(p => p.path),
      ['form.oneOf', 'form.properties.a.minimum', 'form.items']
    );
    assert.deepEqual(checkFormSchema({}, 'spec').length, 0);
    assert.deepEqual(
      checkFormSchema({ allOf: [] }, 'spec').map(p => p.path),
      ['spec.allOf']
    );
  });

  it('refuses absurdly deep schemas instead of overflowing', () => {
    let deep: Obj = { type: 'string' };
    for (let i = 0; i < 100; i++) deep = { type: 'array', items: deep };
    const problems = checkFormSchema({ properties: { x: deep } });
    assert.equal(problems.length, 1);
    assert.match(problems[0].problem, /nested more than 64 levels/);
  });
});

describe('validateAgainstForm with a schema that did not pass checkFormSchema', () => {
  it('skips what it cannot read rather than refusing every answer (workflows stored before a check existed)', () => {
    assert.deepEqual(
      errors(
        { oneOf: [{ type: 'string' }], type: 'objekt', required: 'a', properties: { a: 'x' }, items: [] },
        { a: 1 }
      ),
      []
    );
    assert.deepEqual(errors({ properties: { s: { pattern: '(' } } }, { s: 'x' }), []);
    assert.deepEqual(errors('not a schema' as unknown as Obj, { a: 1 }), []);
  });
});
