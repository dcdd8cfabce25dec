// The peer that scripts/bench measures Gatehouse against: npm `oidc-provider` (pinned in
// package.json beside this file), set up for the same OAuth work as Gatehouse's benchmark:
//
//   - client credentials (client_secret_basic) giving EdDSA (Ed25519) JWT access tokens: the
//     resource indicators feature with accessTokenFormat 'jwt' for urn:bench:api;
//   - introspection: oidc-provider refuses to introspect JWT access tokens (structured tokens
//     "cannot be introspected"), so the introspected token is an opaque client-credentials token
//     for urn:bench:opaque, its own introspectable kind;
//   - the authorization code flow with PKCE and rotating refresh tokens for a confidential web
//     client, signed in through the development interactions (login and consent forms);
//   - the endpoints at Gatehouse's paths (/oauth2/token, /oauth2/introspect, …), so the same
//     wrk scripts drive both.
//
// Storage is an unbounded in-memory map (oidc-provider's own memory adapter keeps at most 1,000
// entries, too few for the refresh phase). Gatehouse writes to SQLite or PostgreSQL instead.
//
//   PORT=8123 BENCH_PEER_SECRET=… BENCH_PEER_REDIRECT_URI=http://127.0.0.1:9/callback node server.js
//
// Prints "ready <issuer>" on stdout once listening.

import { generateKeyPairSync, randomBytes } from 'node:crypto';

import Provider, { errors } from 'oidc-provider';

const port = Number(process.env.PORT || 0);
const secret = process.env.BENCH_PEER_SECRET;
const redirectUri = process.env.BENCH_PEER_REDIRECT_URI || 'http://127.0.0.1:9/callback';
if (!port || !secret) {
  console.error('bench-peer: PORT and BENCH_PEER_SECRET are required');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;

const JWT_API = 'urn:bench:api';
const OPAQUE_API = 'urn:bench:opaque';

/** Every stored model in one Map, with expiry and the grant index revocation needs. */
class MapAdapter {
  static store = new Map();

  static grants = new Map();

  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 : undefined;
    MapAdapter.store.set(key, { payload, expiresAt });
    if (payload.grantId) {
      let members = MapAdapter.grants.get(payload.grantId);
      if (!members) {
        members = new Set();
        MapAdapter.grants.set(payload.grantId, members);
      }
      members.add(key);
    }
    if (payload.userCode) MapAdapter.store.set(`userCode:${payload.userCode}`, { payload: id, expiresAt });
    if (payload.uid) MapAdapter.store.set(`uid:${this.model}:${payload.uid}`, { payload: id, expiresAt });
  }

  static live(key) {
    const entry = MapAdapter.store.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      MapAdapter.store.delete(key);
      return undefined;
    }
    return entry.payload;
  }

  async find(id) {
    return MapAdapter.live(this.key(id));
  }

  async findByUserCode(userCode) {
    const id = MapAdapter.live(`userCode:${userCode}`);
    return id === undefined ? undefined : this.find(id);
  }

  async findByUid(uid) {
    const id = MapAdapter.live(`uid:${this.model}:${uid}`);
    return id === undefined ? undefined : this.find(id);
  }

  async consume(id) {
    const payload = await this.find(id);
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    MapAdapter.store.delete(this.key(id));
  }

  async revokeByGrantId(grantId) {
    for (const key of MapAdapter.grants.get(grantId) || []) MapAdapter.store.delete(key);
    MapAdapter.grants.delete(grantId);
  }
}

const { privateKey } = generateKeyPairSync('ed25519');
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'bench-ed25519', alg: 'EdDSA', use: 'sig' };

const provider = new Provider(issuer, {
  adapter: MapAdapter,
  clients: [
    {
      client_id: 'bench-cc',
      client_secret: secret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'EdDSA',
    },
    {
      client_id: 'bench-web',
      client_secret: secret,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [redirectUri],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'EdDSA',
    },
  ],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
  scopes: ['openid', 'offline_access', 'api:read'],
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => JWT_API,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, resource) => {
        if (resource === JWT_API) {
          return {
            scope: 'api:read',
            audience: JWT_API,
            accessTokenTTL: 3600,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'EdDSA' } },
          };
        }
        if (resource === OPAQUE_API) {
          return { scope: 'api:read', audience: OPAQUE_API, accessTokenTTL: 3600, accessTokenFormat: 'opaque' };
        }
        throw new errors.InvalidTarget();
      },
    },
  },
  pkce: { required: () => true },
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: true,
  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 60,
    ClientCredentials: 3600,
    Grant: 14 * 86400,
    IdToken: 3600,
    Interaction: 3600,
    RefreshToken: 14 * 86400,
    Session: 14 * 86400,
  },
  routes: {
    authorization: '/oauth2/authorize',
    end_session: '/oauth2/logout',
    introspection: '/oauth2/introspect',
    jwks: '/oauth2/jwks',
    revocation: '/oauth2/revoke',
    token: '/oauth2/token',
    userinfo: '/oauth2/userinfo',
  },
});

// Quiet: an error is answered to the client; the benchmark counts non-2xx answers itself.
provider.on('server_error', (_ctx, error) => console.error(`bench-peer: server_error: ${error?.stack || error}`));

const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
