// The OpenID Connect provider against npm `openid-client` as the relying party and Debian's
// Chromium as the user's browser, on SQLite: one journey per client signing algorithm.

import { after, before, describe, test } from 'node:test';

import { strongPassword, uniqueEmail } from '../lib/flows.js';
import { Stack, journey } from '../lib/harness.js';
import { CallbackServer, cliRegistersPostLogoutUris, createUser } from '../lib/oidc.js';
import oidcJourney from '../journeys/oidc.js';

const TIMEOUT = 120_000;

describe('gatehouse as an OpenID provider for openid-client, in Chromium', { timeout: 10 * 60_000 }, () => {
  let stack;
  let fixture;
  const current = () => stack;
  const shared = () => fixture;

  before(async () => {
    stack = await new Stack('oidc').start();
    const callback = await new CallbackServer().start();
    const email = uniqueEmail('oidc');
    const password = strongPassword();
    const id = await createUser(stack.server, email, password);
    const postLogoutUris = await cliRegistersPostLogoutUris(stack.server);
    fixture = { user: { id, email, password }, callback, postLogoutUris };
    console.log(`# oidc: relying party callbacks on ${callback.origin}, user ${id}, `
      + `post-logout redirect URIs ${postLogoutUris ? 'registered with the CLI' : 'not registrable with the CLI'}`);
  }, { timeout: 120_000 });

  after(async () => {
    await fixture?.callback.stop();
    await stack?.stop();
  }, { timeout: 60_000 });

  test('a. EdDSA client, client_secret_basic, query: code + PKCE, userinfo, refresh rotation and replay, introspection, revocation, logout',
    { timeout: TIMEOUT },
    journey(current, 'oidc EdDSA', oidcJourney({ alg: 'EdDSA', auth: 'basic', responseMode: 'query' }, shared)));
  test('b. ES256 client, client_secret_post, query: the same',
    { timeout: TIMEOUT },
    journey(current, 'oidc ES256', oidcJourney({ alg: 'ES256', auth: 'post', responseMode: 'query' }, shared)));
  test('c. RS256 client, client_secret_basic, form_post: the same',
    { timeout: TIMEOUT },
    journey(current, 'oidc RS256', oidcJourney({ alg: 'RS256', auth: 'basic', responseMode: 'form_post' }, shared)));

  test('gatehouse stops with exit 0 on SIGTERM, no errors in its log', { timeout: 60_000 },
    () => stack.stopAndCheck());
});
