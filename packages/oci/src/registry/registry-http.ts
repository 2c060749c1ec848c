/**
 * HTTP(S) GETs (and the token POST) for the registry client on node:http/node:https: the system's CAs plus an optional CA file, plain
 * HTTP only to loopback hosts or when asked, and redirects followed by hand so that the Authorization header is
 * dropped when a redirect leaves the origin it was meant for (a blob host such as a CDN or S3 must not see the
 * registry token), and an https→http downgrade is refused like any plain HTTP.
 */
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { RegistryError } from './registry-error.js';
import { isLoopbackHost } from './registry-reference.js';

/** Transport options (TLS and plain HTTP policy). */
export interface TransportOptions {
  /** A PEM file of CA certificates trusted besides the system's (`--ca-file`). */
  readonly caFile?: string | undefined;
  /** Allow plain HTTP to any host (`--insecure-http`); loopback hosts are always allowed. */
  readonly insecureHttp?: boolean | undefined;
  /** Idle socket timeout in ms (default 60000). */
  readonly timeoutMs?: number | undefined;
}

/** A response whose headers arrived; `body` must be consumed or destroyed. */
export interface HttpResponse {
  /** The HTTP status code of the final response (after redirects). */
  readonly status: number;
  /** Its headers, as Node's http module gives them (lower-case names). */
  readonly headers: IncomingHttpHeaders;
  /** Its body as a stream, not yet read: the caller reads or drains it. */
  readonly body: IncomingMessage;
  /** The URL that answered (after redirects). */
  readonly url: URL;
}

const MAX_REDIRECTS = 10;
const caCache = new Map<string, string[]>();

/** node:http, node:https and node:tls, loaded on the first request (not by everything that imports @ct/oci). */
let transport: Promise<{ http: typeof import('node:http'); https: typeof import('node:https'); tls: typeof import('node:tls') }> | undefined;
function loadTransport(): NonNullable<typeof transport> {
  transport ??= Promise.all([import('node:http'), import('node:https'), import('node:tls')]).then(([http, https, tls]) => ({ http, https, tls }));
  return transport;
}

function trustedCas(caFile: string, rootCertificates: readonly string[]): string[] {
  let cas = caCache.get(caFile);
  if (cas === undefined) {
    let pem: string;
    try {
      pem = readFileSync(caFile, 'utf8');
    } catch (err) {
      throw new RegistryError('REGISTRY_NETWORK', `read ca file: ${caFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {}, { cause: err });
    }
    cas = [...rootCertificates, pem];
    caCache.set(caFile, cas);
  }
  return cas;
}

/** Refuse plain HTTP unless the host is loopback or insecure HTTP was asked for. */
export function checkScheme(url: URL, options: TransportOptions): void {
  if (url.protocol === 'https:') return;
  if (url.protocol !== 'http:') throw new RegistryError('REGISTRY_INSECURE', `get ${url.href}: unsupported scheme ${url.protocol}`, { url: url.href });
  if (!isLoopbackHost(url.host) && options.insecureHttp !== true) {
    throw new RegistryError('REGISTRY_INSECURE', `get ${url.href}: plain http to a non-loopback host needs --insecure-http`, { url: url.href });
  }
}

async function once(url: URL, headers: Readonly<Record<string, string>>, options: TransportOptions, body?: Buffer): Promise<IncomingMessage> {
  checkScheme(url, options);
  const method = body === undefined ? 'GET' : 'POST';
  const { http, https, tls } = await loadTransport();
  return new Promise((resolve, reject) => {
    const common = { method, headers: { 'user-agent': 'ct', ...headers, ...(body !== undefined ? { 'content-length': String(body.length) } : {}) } };
    const req = url.protocol === 'https:'
      ? https.request(url, { ...common, ...(options.caFile !== undefined ? { ca: trustedCas(options.caFile, tls.rootCertificates) } : {}) })
      : http.request(url, common);
    req.setTimeout(options.timeoutMs ?? 60_000, () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('response', resolve);
    req.on('error', (err: NodeJS.ErrnoException) => {
      reject(new RegistryError('REGISTRY_NETWORK', `${method.toLowerCase()} ${url.href}: ${err.code ?? err.message}`, { url: url.href }, { cause: err }));
    });
    req.end(body);
  });
}

/**
 * GET `url`, following redirects. `headers.authorization` is sent only to the origin (scheme, host, port) of the
 * first URL; any redirect elsewhere drops it (and it is not restored if a later redirect comes back).
 * @throws RegistryError REGISTRY_NETWORK, REGISTRY_INSECURE, REGISTRY_REDIRECT.
 */
export async function httpGet(url: URL, headers: Readonly<Record<string, string>>, options: TransportOptions = {}): Promise<HttpResponse> {
  let current = url;
  let sent: Record<string, string> = { ...headers };
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const res = await once(current, sent, options);
    const status = res.statusCode ?? 0;
    if (![301, 302, 303, 307, 308].includes(status)) return { status, headers: res.headers, body: res, url: current };
    res.resume();
    const location = res.headers.location;
    if (location === undefined) throw new RegistryError('REGISTRY_REDIRECT', `get ${current.href}: redirect ${status} without a location`, { url: current.href, status });
    const next = new URL(location, current);
    if (next.origin !== url.origin && sent['authorization'] !== undefined) {
      const { authorization: _dropped, ...rest } = sent;
      sent = rest;
    }
    current = next;
  }
  throw new RegistryError('REGISTRY_REDIRECT', `get ${url.href}: more than ${MAX_REDIRECTS} redirects`, { url: url.href });
}

/**
 * POST an `application/x-www-form-urlencoded` form to `url` (the OAuth2 token request); redirects are not followed.
 * @throws RegistryError REGISTRY_NETWORK, REGISTRY_INSECURE.
 */
export async function httpPostForm(url: URL, form: URLSearchParams, options: TransportOptions = {}): Promise<HttpResponse> {
  const res = await once(url, { 'content-type': 'application/x-www-form-urlencoded' }, options, Buffer.from(form.toString()));
  return { status: res.statusCode ?? 0, headers: res.headers, body: res, url };
}

/**
 * Read a whole (small) body, refusing more than `limit` bytes.
 * @throws RegistryError REGISTRY_NETWORK (connection lost), REGISTRY_MANIFEST_INVALID (too large).
 */
export async function readBody(res: HttpResponse, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      n += chunk.length;
      if (n > limit) {
        res.body.destroy();
        throw new RegistryError('REGISTRY_MANIFEST_INVALID', `get ${res.url.href}: body larger than ${limit} bytes`, { url: res.url.href, status: res.status });
      }
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof RegistryError) throw err;
    throw new RegistryError('REGISTRY_NETWORK', `get ${res.url.href}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { url: res.url.href }, { cause: err });
  }
  return Buffer.concat(chunks);
}
