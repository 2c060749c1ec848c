import assert from 'node:assert/strict';
import { parseJson, stringifyJson, SpecValidationError } from '../../src/spec/index.js';

describe('parseJson', () => {
  it('parseJson, 64-bit integers stay exact as bigint', () => {
    const v = parseJson('{"size": 18446744073709551615, "small": 42, "neg": -9223372036854775808}', 't') as Record<string, unknown>;
    assert.equal(v.size, 18446744073709551615n);
    assert.equal(v.small, 42);
    assert.equal(v.neg, -9223372036854775808n);
  });

  it('parseJson, fractions and exponents are numbers', () => {
    assert.deepEqual(parseJson('[1.5, 1e3, -0.25E-1]', 't'), [1.5, 1000, -0.025]);
  });

  it('parseJson, strings with escapes and unicode', () => {
    assert.equal(parseJson('"a\\n\\u00e9\\"\\\\/"', 't'), 'a\né"\\/');
  });

  const bad: Array<[string, string, string]> = [
    ['{"a":1,"a":2}', 'OCI_JSON_DUPLICATE_KEY', '$.a'],
    ['{"a":1,}', 'OCI_JSON_SYNTAX', '$'],
    ['[1 2]', 'OCI_JSON_SYNTAX', '$'],
    ['{"a": tru}', 'OCI_JSON_SYNTAX', '$.a'],
    ['"\u0001"', 'OCI_JSON_SYNTAX', '$'],
    ['{} x', 'OCI_JSON_SYNTAX', '$'],
    ['01', 'OCI_JSON_SYNTAX', '$'],
  ];
  for (const [text, code, path] of bad) {
    it(`parseJson, refuses ${JSON.stringify(text)} with ${code}`, () => {
      assert.throws(() => parseJson(text, 't'), (e: unknown) => e instanceof SpecValidationError && e.code === code && e.jsonPath === path);
    });
  }

  it('parseJson, a document over the size limit is refused before parsing', () => {
    assert.throws(() => parseJson(`"${'x'.repeat(100)}"`, 't', { maxBytes: 50 }), { code: 'OCI_JSON_TOO_LARGE' });
  });

  it('parseJson, nesting deeper than the limit is refused', () => {
    assert.throws(() => parseJson('['.repeat(70) + ']'.repeat(70), 't'), { code: 'OCI_JSON_TOO_LARGE' });
  });

  it('parseJson, invalid utf-8 bytes are refused', () => {
    assert.throws(() => parseJson(Buffer.from([0x22, 0xff, 0x22]), 't'), { code: 'OCI_JSON_SYNTAX' });
  });

  it('parseJson, __proto__ keys do not pollute prototypes', () => {
    const v = parseJson('{"__proto__": {"polluted": true}}', 't') as Record<string, unknown>;
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(Object.keys(v), ['__proto__']);
  });

  it('stringifyJson, bigints are written as plain integers and round-trip', () => {
    const text = stringifyJson({ size: 18446744073709551615n, s: 'bigint:1', n: [1n] });
    assert.equal(text, '{"size":18446744073709551615,"s":"bigint:1","n":[1]}');
    const back = parseJson(text, 't') as Record<string, unknown>;
    assert.equal(back.size, 18446744073709551615n);
    assert.equal(back.s, 'bigint:1');
    assert.deepEqual(back.n, [1]);
  });
});
