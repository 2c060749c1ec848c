/**
 * A distribution-spec client for one repository: the /v2/ ping (which also tells whether HTTPS or, for loopback
 * and --insecure-http, plain HTTP is spoken), Docker token authentication (a 401 with a `Bearer` challenge: GET the
 * realm with service and `repository:NAME:pull` scope, Basic credentials attached when known, then retry with the
 * token; with an identity token, POST the OAuth2 refresh-token grant to the realm instead) and Basic
 * authentication, and authenticated GETs of manifests and blobs. Credentials are looked up (auth files, credential
 * helpers) only when the registry asks for authentication.
 * See distribution-spec spec.md ("Pull"), docker's token authentication specification and its "oauth.md".
 */
import { parseJson } from '../spec/lossless-json.js';
import { basicAuthorization, findCredentials, parseAuthChallenges, type AuthChallenge, type Credentials } from './registry-auth.js';
import { RegistryError } from './registry-error.js';
import { httpGet, httpPostForm, readBody, type HttpResponse, type TransportOptions } from './registry-http.js';
import { isLoopbackHost, type RegistryRef } from './registry-reference.js';

/** Options of a {@link RegistryClient}. */
export interface RegistryClientOptions extends TransportOptions {
  /** Credentials; by default looked up in the auth files (registry-auth.ts). */
  readonly credentials?: Credentials | undefined;
  /** An auth file to use instead of the default ones (`--authfile`). */
  readonly authFile?: string | undefined;
  /** The environment auth files are found by and credential helpers run with (default process.env). */
  readonly env?: NodeJS.ProcessEnv | undefined;
}

/** Authenticated access to one repository of a registry. */
export class RegistryClient {
  private base: URL | undefined;
  private authorization: string | undefined;
  private challenge: AuthChallenge | undefined;
  private credentials: Promise<Credentials | undefined> | undefined;
  private haveCredentials = false;

  /**
   * A client of `ref`'s repository; nothing is sent until the first request.
   * @param ref The registry and repository it talks to.
   * @param options Credentials, auth file, environment and transport options.
   */
  constructor(readonly ref: RegistryRef, private readonly options: RegistryClientOptions = {}) {}

  /** The credentials for this registry, looked up once. */
  private async creds(): Promise<Credentials | undefined> {
    this.credentials ??= this.options.credentials !== undefined
      ? Promise.resolve(this.options.credentials)
      : findCredentials(this.ref.registry, { authFile: this.options.authFile, ...(this.options.env !== undefined ? { env: this.options.env } : {}) });
    const c = await this.credentials;
    this.haveCredentials = c !== undefined;
    return c;
  }

  /** GET `/v2/<repository>/<path>` with auth; 401 triggers (re)authentication once. */
  async get(path: string, headers: Readonly<Record<string, string>> = {}): Promise<HttpResponse> {
    const base = await this.ping();
    const url = new URL(`/v2/${this.ref.repository}/${path}`, base);
    for (let attempt = 0; ; attempt++) {
      const res = await httpGet(url, { ...headers, ...(this.authorization !== undefined ? { authorization: this.authorization } : {}) }, this.options);
      if (res.status !== 401 || attempt > 0) {
        if (res.status === 401 || res.status === 403) {
          res.body.resume();
          throw new RegistryError('REGISTRY_UNAUTHORIZED', `get ${url.href}: ${res.status} ${this.haveCredentials ? '(credentials refused)' : '(no credentials for ' + this.ref.registry + ')'}`, { url: url.href, status: res.status });
        }
        return res;
      }
      res.body.resume();
      const header = res.headers['www-authenticate'];
      this.challenge = pickChallenge(typeof header === 'string' ? header : undefined) ?? this.challenge;
      await this.authenticate(url);
    }
  }

  /** The base URL, found by GET /v2/ over HTTPS, else plain HTTP where allowed. */
  private async ping(): Promise<URL> {
    if (this.base !== undefined) return this.base;
    const plainAllowed = isLoopbackHost(this.ref.host) || this.options.insecureHttp === true;
    let res: HttpResponse;
    let base = new URL(`https://${this.ref.host}/`);
    try {
      res = await httpGet(new URL('/v2/', base), {}, this.options);
    } catch (err) {
      // Fall back only when the server does not speak TLS at all (docker does the same for loopback): a
      // certificate that does not verify is an error, never a reason to go plain.
      if (!plainAllowed || !(err instanceof RegistryError) || !speaksNoTls(err.cause)) throw err;
      base = new URL(`http://${this.ref.host}/`);
      try {
        res = await httpGet(new URL('/v2/', base), {}, this.options);
      } catch (plainErr) {
        throw new AggregateError([err, plainErr], `ping ${this.ref.host}: neither https nor http answered`, { cause: plainErr });
      }
    }
    res.body.resume();
    if (res.status === 401) {
      const header = res.headers['www-authenticate'];
      this.challenge = pickChallenge(typeof header === 'string' ? header : undefined);
    } else if (res.status >= 400 && res.status !== 404) {
      throw new RegistryError('REGISTRY_HTTP', `ping ${res.url.href}: status ${res.status}`, { url: res.url.href, status: res.status });
    }
    this.base = base;
    if (this.challenge !== undefined) await this.authenticate(new URL('/v2/', base));
    return base;
  }

  private async authenticate(url: URL): Promise<void> {
    const c = this.challenge;
    if (c === undefined) {
      throw new RegistryError('REGISTRY_UNAUTHORIZED', `get ${url.href}: 401 without a usable WWW-Authenticate challenge`, { url: url.href, status: 401 });
    }
    const creds = await this.creds();
    if (c.scheme === 'basic') {
      if (creds === undefined) throw new RegistryError('REGISTRY_UNAUTHORIZED', `get ${url.href}: basic auth asked and no credentials for ${this.ref.registry}`, { url: url.href, status: 401 });
      // An identity token is a bearer token to a registry that does its own auth (docker credential helpers' use).
      this.authorization = creds.identityToken !== undefined ? `Bearer ${creds.identityToken}` : basicAuthorization(creds);
      return;
    }
    this.authorization = `Bearer ${await this.fetchToken(c, creds)}`;
  }

  private async fetchToken(c: AuthChallenge, creds: Credentials | undefined): Promise<string> {
    const realm = c.params['realm'];
    if (realm === undefined) throw new RegistryError('REGISTRY_AUTH_FAILED', `authenticate ${this.ref.host}: bearer challenge without a realm`);
    const tokenUrl = new URL(realm);
    const scope = `repository:${this.ref.repository}:pull`;
    let res: HttpResponse;
    if (creds?.identityToken !== undefined) {
      // OAuth2 refresh-token grant (docker's token spec, oauth.md): the identity token is the refresh token.
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, client_id: 'ct', scope });
      if (c.params['service'] !== undefined) form.set('service', c.params['service']);
      res = await httpPostForm(tokenUrl, form, this.options);
    } else {
      if (c.params['service'] !== undefined) tokenUrl.searchParams.set('service', c.params['service']);
      tokenUrl.searchParams.set('scope', scope);
      res = await httpGet(tokenUrl, creds !== undefined ? { authorization: basicAuthorization(creds) } : {}, this.options);
    }
    const body = await readBody(res, 1024 * 1024);
    if (res.status !== 200) {
      throw new RegistryError(res.status === 401 || res.status === 403 ? 'REGISTRY_UNAUTHORIZED' : 'REGISTRY_AUTH_FAILED',
        `get token ${tokenUrl.origin}${tokenUrl.pathname}${creds?.identityToken !== undefined ? ' (identity token)' : ''}: status ${res.status}`, { url: tokenUrl.href, status: res.status });
    }
    let doc;
    try {
      doc = parseJson(body, 'token response');
    } catch (err) {
      throw new RegistryError('REGISTRY_AUTH_FAILED', `get token ${tokenUrl.origin}${tokenUrl.pathname}: not JSON`, { url: tokenUrl.href }, { cause: err });
    }
    const obj = doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? doc : {};
    const token = obj['token'] ?? obj['access_token'];
    if (typeof token !== 'string' || token === '') {
      throw new RegistryError('REGISTRY_AUTH_FAILED', `get token ${tokenUrl.origin}${tokenUrl.pathname}: no token in the response`, { url: tokenUrl.href });
    }
    return token;
  }
}

const NO_TLS = new Set(['EPROTO', 'ECONNRESET', 'ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG']);

function speaksNoTls(cause: unknown): boolean {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && NO_TLS.has(code);
}

function pickChallenge(header: string | undefined): AuthChallenge | undefined {
  if (header === undefined) return undefined;
  const all = parseAuthChallenges(header);
  return all.find((c) => c.scheme === 'bearer') ?? all.find((c) => c.scheme === 'basic');
}
