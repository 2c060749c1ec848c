import { strict as assert } from 'node:assert';
import { JsonSyntaxError, parseJsonLossless } from '../../src/config/json-lossless.js';

describe('lossless json', () => {
  it('parseJsonLossless, 2^64-1 stays exact as a bigint', () => {
    const v = parseJsonLossless('{"hard": 18446744073709551615, "soft": 1024}') as Record<string, unknown>;
    assert.equal(v['hard'], 18446744073709551615n);
    assert.equal(v['soft'], 1024);
  });
  it('parseJsonLossless, agrees with JSON.parse on ordinary documents', () => {
    const text = '{"a":[1,2.5,-3e2,true,false,null,"x\\u00e9\\n"],"b":{"c":{}},"d":[]}';
    assert.deepEqual(parseJsonLossless(text), JSON.parse(text));
  });
  it('parseJsonLossless, __proto__ is a plain key, not a prototype', () => {
    const v = parseJsonLossless('{"__proto__": {"polluted": 1}}') as Record<string, unknown>;
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.deepEqual(Object.keys(v), ['__proto__']);
  });
  it('parseJsonLossless, syntax errors carry the offset', () => {
    assert.throws(() => parseJsonLossless('{"a": 1,}'), (e: unknown) => e instanceof JsonSyntaxError && e.offset === 8);
    assert.throws(() => parseJsonLossless('[1] x'), JsonSyntaxError);
  });
});
