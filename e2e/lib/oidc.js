// What the OpenID Connect journeys need besides the browser: clients and users made with the
// CLI, a relying party's callback server on 127.0.0.1, and a look inside JWTs (header, claims,
// signature checked against the provider's JWKS with node:crypto alone).

import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import http from 'node:http';

/**
 * `gatehouse client create … --json` on the running server; `alg` (EdDSA, ES256, RS256) becomes
 * the client's signing algorithm through `oidc.default_signing_alg`. Resolves to the printed
 * object ({client_id, client_secret, …}).
 */
export async function createClient(server, { name, alg, grants = [], redirectUris = [], postLogoutRedirectUris = [], scopes = [] }) {
  const args = ['client', 'create', '--name', name, '--json'];
  for (const grant of grants) args.push('--grant', grant);
  for (const uri of redirectUris) args.push('--redirect-uri', uri);
  for (const uri of postLogoutRedirectUris) args.push('--post-logout-redirect-uri', uri);
  for (const scope of scopes) args.push('--scope', scope);
  const env = alg ? { GATEHOUSE__OIDC__DEFAULT_SIGNING_ALG: alg } : {};
  const stdout = await server.cli(args, { env });
  const created = JSON.parse(stdout);
  assert.match(created.client_id ?? '', /^[A-Za-z0-9._~-]+$/, 'client create --json prints a URL-safe client_id');
  assert.match(created.client_secret ?? '', /^[A-Za-z0-9._~-]+$/, 'client create --json prints a URL-safe client_secret');
  return created;
}

/** Whether `gatehouse client create` takes `--post-logout-redirect-uri`. */
export async function cliRegistersPostLogoutUris(server) {
  const help = await server.cli(['client', 'create', '--help']);
  return help.includes('--post-logout-redirect-uri');
}

/** `gatehouse user create --email E --password-stdin --verified`; resolves to the user's id. */
export async function createUser(server, email, password) {
  return (await server.cli(['user', 'create', '--email', email, '--password-stdin', '--verified'], {
    input: `${password}\n`,
  })).trim();
}

/**
 * A relying party's own HTTP server on 127.0.0.1 (random port): every request to it is kept,
 * with its body, and answered with a small page. `next(path)` waits for the next request to
 * `path` that was not taken yet.
 */
export class CallbackServer {
  constructor() {
    this.hits = [];
    this.waiters = new Set();
    this.server = http.createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk) => { body += chunk; });
      request.on('end', () => {
        const url = new URL(request.url, this.origin);
        this.hits.push({ method: request.method, url, headers: request.headers, body, taken: false });
        for (const wake of this.waiters) wake();
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        response.end('<!DOCTYPE html><html lang="en"><title>Relying party</title><h1>Back at the application</h1></html>');
      });
    });
  }

  async start() {
    await new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', resolve);
    });
    this.origin = `http://127.0.0.1:${this.server.address().port}`;
    return this;
  }

  async stop() {
    this.server.closeAllConnections?.();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** The next request to `path` not yet taken (waits up to `timeout` ms). */
  async next(path, { timeout = 15_000 } = {}) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const hit = this.hits.find((h) => !h.taken && h.url.pathname === path);
      if (hit) {
        hit.taken = true;
        return hit;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no request to ${this.origin}${path} within ${timeout} ms`);
      await new Promise((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, 250));
        this.waiters.add(wake);
      });
    }
  }

  /** The request as a fetch `Request` (what openid-client's authorizationCodeGrant takes). */
  static asRequest(hit) {
    if (hit.method === 'GET') return new Request(hit.url);
    return new Request(hit.url, {
      method: hit.method,
      headers: { 'content-type': hit.headers['content-type'] || 'application/x-www-form-urlencoded' },
      body: hit.body,
    });
  }
}

/** The header and claims of a compact JWS (not verified). */
export function decodeJwt(token) {
  const parts = token.split('.');
  assert.equal(parts.length, 3, 'a compact JWS has three parts');
  const json = (part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  return { header: json(parts[0]), claims: json(parts[1]) };
}

/** Checks the JWS signature of `token` with the key its `kid` names in `jwks`. */
export function verifyJwtSignature(token, jwks) {
  const [head, payload, signature] = token.split('.');
  const { header } = decodeJwt(token);
  const jwk = jwks.keys.find((key) => key.kid === header.kid);
  assert.ok(jwk, `the JWKS has the key ${header.kid} that signed the token`);
  if (jwk.alg) assert.equal(jwk.alg, header.alg, `the JWK ${jwk.kid} is for ${header.alg}`);
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  const data = Buffer.from(`${head}.${payload}`);
  const sig = Buffer.from(signature, 'base64url');
  const ok = {
    EdDSA: () => verify(null, data, key, sig),
    ES256: () => verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig),
    RS256: () => verify('sha256', data, key, sig),
  }[header.alg];
  assert.ok(ok, `a known algorithm (${header.alg})`);
  assert.ok(ok(), `the ${header.alg} signature of the token verifies with the JWKS key ${jwk.kid}`);
}
