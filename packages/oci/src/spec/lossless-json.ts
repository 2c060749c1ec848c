/**
 * A JSON parser that keeps 64-bit integers exact and refuses oversized or deeply nested documents.
 *
 * `JSON.parse` turns 18446744073709551615 into 18446744073709552000, so descriptor sizes, rlimits and memory limits
 * would be silently wrong. Here an integer that is not a safe JavaScript integer becomes a bigint; every other
 * number is a `number`. Duplicate keys are refused (Go's encoding/json keeps the last one, JS the last one, other
 * parsers the first: a document that means two things to two tools is an attack on the verifier). RFC 8259.
 */
import { SpecValidationError } from './spec-error.js';

/** A parsed JSON value; integers outside the safe range are bigints. */
export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | { [key: string]: JsonValue };

/** Limits for {@link parseJson}. */
export interface JsonLimits {
  /** Largest document accepted, in bytes (default 4 MiB). */
  readonly maxBytes?: number;
  /** Deepest nesting of arrays and objects (default 64). */
  readonly maxDepth?: number;
}

const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;
const DEFAULT_MAX_DEPTH = 64;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const SAFE_INT = /^-?(?:0|[1-9][0-9]*)$/;

/**
 * Parse a JSON document (text or UTF-8 bytes) losslessly. `what` names the document in errors (a file or digest).
 * @throws SpecValidationError with code 'OCI_JSON_TOO_LARGE', 'OCI_JSON_SYNTAX' or 'OCI_JSON_DUPLICATE_KEY'.
 */
export function parseJson(input: string | Uint8Array, what: string, limits: JsonLimits = {}): JsonValue {
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_BYTES;
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.byteLength;
  if (size > maxBytes) {
    throw new SpecValidationError('OCI_JSON_TOO_LARGE', '$', `parse json: ${what}: ${size} bytes exceeds the limit of ${maxBytes}`);
  }
  let text: string;
  if (typeof input === 'string') text = input;
  else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch (cause) {
      throw new SpecValidationError('OCI_JSON_SYNTAX', '$', `parse json: ${what}: not valid utf-8`, { cause });
    }
  }
  return new Parser(text, what, limits.maxDepth ?? DEFAULT_MAX_DEPTH).parseDocument();
}

class Parser {
  private pos = 0;
  constructor(private readonly text: string, private readonly what: string, private readonly maxDepth: number) {}

  parseDocument(): JsonValue {
    if (this.text.charCodeAt(0) === 0xfeff) this.pos = 1;
    const value = this.parseValue('$', 0);
    this.skipSpace();
    if (this.pos !== this.text.length) this.fail('$', 'trailing data');
    return value;
  }

  private fail(path: string, why: string, code = 'OCI_JSON_SYNTAX'): never {
    throw new SpecValidationError(code, path, `parse json: ${this.what}: ${why} at offset ${this.pos} (${path})`);
  }

  private skipSpace(): void {
    for (;;) {
      const c = this.text.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.pos++;
      else return;
    }
  }

  private parseValue(path: string, depth: number): JsonValue {
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === '{') return this.parseObject(path, depth + 1);
    if (c === '[') return this.parseArray(path, depth + 1);
    if (c === '"') return this.parseString(path);
    if (c === 't' && this.text.startsWith('true', this.pos)) { this.pos += 4; return true; }
    if (c === 'f' && this.text.startsWith('false', this.pos)) { this.pos += 5; return false; }
    if (c === 'n' && this.text.startsWith('null', this.pos)) { this.pos += 4; return null; }
    return this.parseNumber(path);
  }

  private parseNumber(path: string): number | bigint {
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.text);
    if (m === null) this.fail(path, 'unexpected character');
    const raw = m[0];
    this.pos += raw.length;
    if (SAFE_INT.test(raw)) {
      const n = Number(raw);
      return Number.isSafeInteger(n) ? n : BigInt(raw);
    }
    return Number(raw);
  }

  private parseString(path: string): string {
    this.pos++; // opening quote
    let out = '';
    let start = this.pos;
    for (;;) {
      const c = this.text.charCodeAt(this.pos);
      if (Number.isNaN(c)) this.fail(path, 'unterminated string');
      if (c === 0x22) { out += this.text.slice(start, this.pos); this.pos++; return out; }
      if (c < 0x20) this.fail(path, 'control character in string');
      if (c !== 0x5c) { this.pos++; continue; }
      out += this.text.slice(start, this.pos);
      const e = this.text[this.pos + 1];
      this.pos += 2;
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          const hex = this.text.slice(this.pos, this.pos + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail(path, 'bad \\u escape');
          out += String.fromCharCode(parseInt(hex, 16));
          this.pos += 4;
          break;
        }
        default: this.fail(path, 'bad escape');
      }
      start = this.pos;
    }
  }

  private parseArray(path: string, depth: number): JsonValue[] {
    if (depth > this.maxDepth) this.fail(path, 'nesting too deep', 'OCI_JSON_TOO_LARGE');
    this.pos++;
    const out: JsonValue[] = [];
    this.skipSpace();
    if (this.text[this.pos] === ']') { this.pos++; return out; }
    for (;;) {
      out.push(this.parseValue(`${path}[${out.length}]`, depth));
      this.skipSpace();
      const c = this.text[this.pos++];
      if (c === ']') return out;
      if (c !== ',') { this.pos--; this.fail(path, "expected ',' or ']'"); }
    }
  }

  private parseObject(path: string, depth: number): { [key: string]: JsonValue } {
    if (depth > this.maxDepth) this.fail(path, 'nesting too deep', 'OCI_JSON_TOO_LARGE');
    this.pos++;
    const out: { [key: string]: JsonValue } = Object.create(null) as { [key: string]: JsonValue };
    this.skipSpace();
    if (this.text[this.pos] === '}') { this.pos++; return out; }
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] !== '"') this.fail(path, 'expected a key');
      const key = this.parseString(path);
      const child = `${path}.${key}`;
      if (Object.prototype.hasOwnProperty.call(out, key)) this.fail(child, 'duplicate key', 'OCI_JSON_DUPLICATE_KEY');
      this.skipSpace();
      if (this.text[this.pos++] !== ':') { this.pos--; this.fail(child, "expected ':'"); }
      out[key] = this.parseValue(child, depth);
      this.skipSpace();
      const c = this.text[this.pos++];
      if (c === '}') return out;
      if (c !== ',') { this.pos--; this.fail(path, "expected ',' or '}'"); }
    }
  }
}

/** Serialize a {@link JsonValue} (bigints written as plain integers), indented like `JSON.stringify(v, null, indent)`. */
export function stringifyJson(value: unknown, indent = 0): string {
  const marker = '\u0000bigint:';
  const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? marker + v.toString() : v), indent);
  return text.replace(/"\\u0000bigint:(-?[0-9]+)"/g, '$1');
}
