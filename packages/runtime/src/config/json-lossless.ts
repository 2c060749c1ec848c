/**
 * JSON parsing that keeps 64-bit integers: an integer outside Number's safe range becomes a bigint instead of
 * being rounded (rlimits, memory limits and capability masks in config.json can pass 2^53). Everything else parses
 * as JSON.parse would. Strings are decoded by JSON.parse on their exact token, so escapes follow the standard.
 *
 * TODO(NEEDS.md): use @ct/oci's lossless parser once @ct/oci/spec exports one.
 *
 * Man pages: none (RFC 8259).
 */

/** A parsed JSON value; integers beyond 2^53 are bigint. */
export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | { [key: string]: JsonValue };

/** A JSON syntax error with the byte offset where parsing stopped. */
export class JsonSyntaxError extends SyntaxError {
  /** Offset into the text. */
  readonly offset: number;
  /** @param message - what was expected; @param offset - where */
  constructor(message: string, offset: number) {
    super(`${message} at offset ${offset}`);
    this.name = 'JsonSyntaxError';
    this.offset = offset;
  }
}

const numberRe = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const stringRe = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const wsRe = /[ \t\n\r]*/y;

/** Parse JSON text, keeping integers beyond Number.MAX_SAFE_INTEGER as bigint. */
export function parseJsonLossless(text: string): JsonValue {
  let pos = 0;
  const skip = (): void => {
    wsRe.lastIndex = pos;
    wsRe.exec(text);
    pos = wsRe.lastIndex;
  };
  const readString = (): string => {
    stringRe.lastIndex = pos;
    const m = stringRe.exec(text);
    if (m === null) throw new JsonSyntaxError('bad string', pos);
    pos = stringRe.lastIndex;
    return JSON.parse(m[0]) as string;
  };
  const value = (depth: number): JsonValue => {
    if (depth > 512) throw new JsonSyntaxError('nesting too deep', pos);
    skip();
    const c = text[pos];
    if (c === '{') {
      pos++;
      const obj: { [key: string]: JsonValue } = {};
      skip();
      if (text[pos] === '}') { pos++; return obj; }
      for (;;) {
        skip();
        if (text[pos] !== '"') throw new JsonSyntaxError('expected a key', pos);
        const key = readString();
        skip();
        if (text[pos] !== ':') throw new JsonSyntaxError("expected ':'", pos);
        pos++;
        Object.defineProperty(obj, key, { value: value(depth + 1), enumerable: true, writable: true, configurable: true });
        skip();
        if (text[pos] === ',') { pos++; continue; }
        if (text[pos] === '}') { pos++; return obj; }
        throw new JsonSyntaxError("expected ',' or '}'", pos);
      }
    }
    if (c === '[') {
      pos++;
      const arr: JsonValue[] = [];
      skip();
      if (text[pos] === ']') { pos++; return arr; }
      for (;;) {
        arr.push(value(depth + 1));
        skip();
        if (text[pos] === ',') { pos++; continue; }
        if (text[pos] === ']') { pos++; return arr; }
        throw new JsonSyntaxError("expected ',' or ']'", pos);
      }
    }
    if (c === '"') return readString();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (text.startsWith(word, pos)) { pos += word.length; return v; }
    }
    numberRe.lastIndex = pos;
    const m = numberRe.exec(text);
    if (m === null) throw new JsonSyntaxError('unexpected character', pos);
    pos = numberRe.lastIndex;
    const n = Number(m[0]);
    if (/^-?\d+$/.test(m[0]) && !Number.isSafeInteger(n)) return BigInt(m[0]);
    return n;
  };
  const v = value(0);
  skip();
  if (pos !== text.length) throw new JsonSyntaxError('trailing data', pos);
  return v;
}
