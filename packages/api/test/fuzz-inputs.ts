/**
 * Inputs for fuzzing the router, generated from each procedure's own zod schema (through
 * its JSON Schema), so a new procedure is fuzzed without anyone writing its generator:
 *   valid-ish   values of the right shape (ids drawn from rows that exist);
 *   near-valid  a valid-ish object with one field replaced by a hostile value, dropped, or
 *               joined by an unknown key;
 *   hostile     anything JSON can carry, and values chosen to break parsers and databases.
 */
import fc from 'fast-check';
import { z } from 'zod';

/** The subset of JSON Schema that zod emits for our inputs. */
export interface JsonSchema {
  type?: 'object' | 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'null';
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minItems?: number;
  maxItems?: number;
}

/** The JSON Schema of a procedure's input (what a client may send), or null when it takes none. */
export function inputSchemaOf(inputs: readonly unknown[]): JsonSchema | null {
  const parser = inputs[0];
  if (!(parser instanceof z.ZodType)) return null;
  // 'input': the shape before transforms; refinements (trim, code points) are not representable and are left out.
  return z.toJSONSchema(parser, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
}

/** Strings that have broken servers somewhere: encodings, injections, numbers in disguise, sizes. */
export const HOSTILE_STRINGS: readonly string[] = [
  '',
  ' ',
  '\t\n\r ',
  '\u0000',
  'a\u0000b',
  'NaN',
  'Infinity',
  '-Infinity',
  '1e309',
  '-0',
  '0x10',
  ' 1',
  '１２',
  '9'.repeat(400),
  "'; DROP TABLE messages; --",
  '" OR 1=1 --',
  '%s%s%n',
  '${7*7}{{7*7}}',
  '__proto__',
  'constructor',
  '<script>window.pwned=1</script>',
  '<img src=x onerror="window.pwned=1">',
  // Lone and reversed surrogates: not well-formed Unicode.
  '\uD800',
  '\uDFFF\uD800',
  '🧑🏽‍💻👨‍👩‍👧‍👦',
  'e\u0301\u0302\u0303',
  'שלום עולם',
  '\u202Eevil\u202C',
  '\uFEFF',
  '\\',
  'a'.repeat(4001),
  '😀'.repeat(4001),
  'x'.repeat(70_000),
];

export const HOSTILE_NUMBERS: readonly number[] = [
  0,
  -0,
  -1,
  1.5,
  2 ** 31,
  2 ** 31 - 1,
  2 ** 32,
  2 ** 53,
  -(2 ** 53),
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
];

/** An array nested `depth` deep: cheap to build, expensive for a naive recursive parser. */
function nested(depth: number): unknown {
  let value: unknown = [];
  for (let level = 0; level < depth; level++) value = [value];
  return value;
}

const HOSTILE_SHAPES: readonly unknown[] = [
  null,
  true,
  false,
  [],
  {},
  [1, 2, 3],
  // A key that pollutes Object.prototype when a server merges it naively.
  JSON.parse('{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}}') as unknown,
  nested(1_000),
  { id: { $gt: 0 } },
  { $where: '1' },
];

/** One hostile value: any JSON, or one of the lists above. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_NUMBERS) },
  { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_SHAPES) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
);

/** Ids to aim at: rows that exist (read when a value is generated, so it can grow), and the edges. */
export interface IdPool {
  ids(): readonly number[];
}

/** Free text: generated Unicode, the hostile strings, and the exact length edges of its limit. */
function textArbitrary(schema: JsonSchema): fc.Arbitrary<string> {
  const max = schema.maxLength ?? 100;
  return fc.oneof(
    { weight: 4, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
    { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
    { weight: 1, arbitrary: fc.constantFrom('a'.repeat(max), 'a'.repeat(max + 1), ` ${'b'.repeat(Math.max(0, max - 2))} `) },
  );
}

function integerArbitrary(schema: JsonSchema, pool: IdPool): fc.Arbitrary<number> {
  const min = schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : (schema.minimum ?? -(2 ** 31));
  const max = schema.maximum ?? 2 ** 31 - 1;
  const inRange = fc.oneof(fc.integer({ min, max: Math.min(max, min + 30) }), fc.constantFrom(min, max), fc.integer({ min, max }));
  // A positive integer with no lower bound of its own is an id: aim mostly at rows that exist.
  if (schema.exclusiveMinimum !== 0) return inRange;
  const existing = fc.nat().map((index) => {
    const ids = pool.ids();
    return ids.length > 0 ? (ids[index % ids.length] ?? min) : min;
  });
  return fc.oneof({ weight: 4, arbitrary: existing }, { weight: 1, arbitrary: inRange });
}

/** Values of the schema's shape: mostly valid, sometimes just outside a limit. */
export function validish(schema: JsonSchema, pool: IdPool): fc.Arbitrary<unknown> {
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map((option) => validish(option, pool)));
  switch (schema.type) {
    case 'object': {
      const properties = schema.properties ?? {};
      const record = Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, validish(value, pool)]));
      return fc.record(record, { requiredKeys: (schema.required ?? []).filter((key) => key in properties) });
    }
    case 'string':
      return schema.pattern ? fc.stringMatching(new RegExp(schema.pattern)) : textArbitrary(schema);
    case 'integer':
      return integerArbitrary(schema, pool);
    case 'number':
      return fc.double();
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const items = schema.items ? validish(schema.items, pool) : hostileValue;
      const minLength = schema.minItems ?? 0;
      const small = fc.array(items, { minLength, maxLength: Math.max(minLength, 4) });
      if (schema.maxItems === undefined) return small;
      // One past the limit, with distinct values so de-duplication cannot hide it.
      const tooMany = fc.constant(Array.from({ length: schema.maxItems + 1 }, (_, index) => index + 1));
      return fc.oneof({ weight: 6, arbitrary: small }, { weight: 1, arbitrary: tooMany });
    }
    default:
      return hostileValue;
  }
}

/** A valid-ish object with one thing wrong: a field replaced, dropped, or an unknown key added. */
export function nearValid(schema: JsonSchema, pool: IdPool): fc.Arbitrary<unknown> {
  const keys = Object.keys(schema.properties ?? {});
  if (schema.type !== 'object' || keys.length === 0) return hostileValue;
  return fc
    .tuple(validish(schema, pool), fc.constantFrom(...keys, 'unexpectedKey'), fc.boolean(), hostileValue)
    .map(([value, key, drop, replacement]) => {
      const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
      if (drop) delete copy[key];
      else copy[key] = replacement;
      return copy;
    });
}

/** What a fuzzed call sends as its input. */
export function fuzzInput(schema: JsonSchema | null, pool: IdPool): fc.Arbitrary<unknown> {
  if (!schema) return fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: hostileValue });
  return fc.oneof(
    { weight: 3, arbitrary: validish(schema, pool) },
    { weight: 4, arbitrary: nearValid(schema, pool) },
    { weight: 2, arbitrary: hostileValue },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}
