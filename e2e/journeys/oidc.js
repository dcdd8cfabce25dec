// The OpenID Connect provider seen by a real relying party: npm `openid-client` (v6) does the
// protocol (discovery, PKCE S256, state, nonce, ID-token validation including `iss` in the
// authorization response), Debian's Chromium signs in and approves consent on Gatehouse's hosted
// pages, and the browser comes back to the relying party's own callback server on 127.0.0.1.
//
// One journey per client signing algorithm (EdDSA, ES256, RS256), each with a client made by
// `gatehouse client create`:
//   round 1: authorize → sign in → consent → code → tokens; access token is a JWT (typ at+jwt,
//            the client's alg, signature checked against the JWKS); userinfo; refresh rotates
//            the refresh token; replaying the old one fails with invalid_grant and kills the new
//            one; introspection follows.
//   round 2: authorize again in the same browser: neither sign-in nor consent is asked; the
//            access token is introspected (active), revoked (RFC 7009), introspected (inactive)
//            and refused by userinfo; its grant's refresh token is gone too.
//   round 3: the same once more, for a live grant.
//   logout:  RP-initiated logout with id_token_hint (and post_logout_redirect_uri + state when
//            the CLI can register one) ends the browser session and the session's grants.

import assert from 'node:assert/strict';

import * as client from 'openid-client';

import { atPath, button, heading, signIn } from '../lib/flows.js';
import { exactly } from '../lib/catalogue.js';
import { CallbackServer, createClient, decodeJwt, verifyJwtSignature } from '../lib/oidc.js';

const SCOPE = 'openid profile email';

/** An openid-client error whose OAuth `error` code is `code` (for assert.rejects). */
function oauthError(code) {
  return (error) => {
    assert.equal(error?.error, code, `expected the OAuth error ${code}, got: ${error?.error ?? error}`);
    return true;
  };
}

/** The access token's JOSE header, claims and signature (RFC 9068). */
function checkAccessToken(token, { alg, issuer, clientId, subject, jwks }) {
  const { header, claims } = decodeJwt(token);
  assert.equal(header.typ, 'at+jwt', 'the access token is a JWT of type at+jwt (RFC 9068)');
  assert.equal(header.alg, alg, `the access token is signed with the client's algorithm ${alg}`);
  verifyJwtSignature(token, jwks);
  assert.equal(claims.iss, issuer, 'access token iss');
  assert.equal(claims.client_id, clientId, 'access token client_id');
  assert.equal(claims.sub, subject, 'access token sub is the user');
  assert.ok(claims.aud, 'access token aud');
  assert.ok(claims.jti, 'access token jti');
  const now = Math.floor(Date.now() / 1000);
  assert.ok(claims.exp > now && claims.iat <= now + 5, `access token exp/iat are sane (${claims.iat}, ${claims.exp})`);
  return claims;
}

/**
 * @param {object} options
 * @param {'EdDSA'|'ES256'|'RS256'} options.alg            the client's signing algorithm
 * @param {'basic'|'post'} options.auth                    client_secret_basic or client_secret_post
 * @param {'query'|'form_post'} options.responseMode       how the code comes back
 * @param {() => object} fixture  {user: {id, email, password}, callback: CallbackServer,
 *                                 postLogoutUris: whether the CLI registers them}
 */
export default function oidcJourney({ alg, auth, responseMode }, fixture) {
  return async (j) => {
    const { t } = j;
    const { user, callback, postLogoutUris } = fixture();
    j.secret(user.password);
    const server = j.stack.server;
    const redirectUri = `${callback.origin}/callback/${alg}`;
    const postLogoutUri = `${callback.origin}/signed-out/${alg}`;
    const name = `Journey app ${alg}`;

    // The client, made with the CLI; its signing algorithm comes from oidc.default_signing_alg.
    const registered = await createClient(server, {
      name,
      alg,
      grants: ['authorization_code', 'refresh_token'],
      redirectUris: [redirectUri],
      postLogoutRedirectUris: postLogoutUris ? [postLogoutUri] : [],
      scopes: SCOPE.split(' '),
    });
    const clientId = registered.client_id;
    const secret = j.secret(registered.client_secret);

    // Discovery (http issuer on loopback: allowInsecureRequests).
    const config = await client.discovery(
      new URL(j.url),
      clientId,
      { id_token_signed_response_alg: alg, redirect_uris: [redirectUri], response_types: ['code'] },
      auth === 'post' ? client.ClientSecretPost(secret) : client.ClientSecretBasic(secret),
      { execute: [client.allowInsecureRequests] },
    );
    const metadata = config.serverMetadata();
    const issuer = metadata.issuer;
    assert.equal(new URL(issuer).href, new URL(j.url).href, 'the issuer is the public URL');
    assert.ok(metadata.code_challenge_methods_supported?.includes('S256'), 'discovery: PKCE S256');
    assert.equal(metadata.authorization_response_iss_parameter_supported, true, 'discovery: iss in authorization responses (RFC 9207)');
    assert.ok(metadata.id_token_signing_alg_values_supported?.includes(alg), `discovery: ID tokens signed with ${alg}`);
    assert.ok(metadata.response_types_supported?.includes('code'), 'discovery: response_type code');
    if (metadata.response_modes_supported) {
      assert.ok(metadata.response_modes_supported.includes(responseMode), `discovery: response_mode ${responseMode}`);
    }
    const method = auth === 'post' ? 'client_secret_post' : 'client_secret_basic';
    assert.ok(metadata.token_endpoint_auth_methods_supported?.includes(method), `discovery: ${method}`);
    for (const endpoint of ['userinfo_endpoint', 'introspection_endpoint', 'revocation_endpoint', 'end_session_endpoint']) {
      assert.ok(metadata[endpoint], `discovery: ${endpoint}`);
    }
    const jwksResponse = await fetch(metadata.jwks_uri);
    assert.equal(jwksResponse.status, 200, 'GET jwks_uri');
    const jwks = await jwksResponse.json();

    const context = await j.newContext();
    const page = await context.newPage();

    /** One authorization: returns the token response and what the browser went through. */
    const authorize = async ({ signInExpected, consentExpected }) => {
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      const parameters = {
        redirect_uri: redirectUri,
        scope: SCOPE,
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
        login_hint: user.email,
      };
      if (responseMode !== 'query') parameters.response_mode = responseMode;
      const url = client.buildAuthorizationUrl(config, parameters);

      // What Gatehouse's pages showed on the way (to tell whether sign-in or consent was asked).
      const shown = [];
      const onResponse = async (response) => {
        if (response.request().resourceType() !== 'document' || !response.url().startsWith(j.url)) return;
        const entry = { path: new URL(response.url()).pathname, status: response.status(), consent: false };
        shown.push(entry);
        if (response.status() === 200) {
          entry.consent = /name="decision"/.test(await response.text().catch(() => ''));
        }
      };
      page.on('response', onResponse);
      const path = new URL(redirectUri).pathname;
      const arrived = callback.next(path, { timeout: 30_000 });
      arrived.catch(() => {});

      await page.goto(url.href);
      if (signInExpected) {
        await signIn(j, page, user.email, user.password, { path: null, expectPath: null });
      }
      if (consentExpected) {
        await page.getByRole('heading', { name: exactly(t('oauth.consent_heading', { client: name })) })
          .waitFor({ state: 'visible' });
        await button(page, t('oauth.consent_allow')).click();
      }
      // Gatehouse may hand the response over through its "Returning to the application" page,
      // which goes on by itself (script); a person without script presses Continue. Only when
      // nothing arrived within a few seconds is Continue pressed here.
      const inTime = await Promise.race([
        arrived.then(() => true),
        new Promise((resolve) => { setTimeout(() => resolve(false), 5_000); }),
      ]);
      if (!inTime) {
        const onward = page.getByRole(responseMode === 'form_post' ? 'button' : 'link',
          { name: exactly(t('oauth.return_continue')) });
        if (await onward.count() === 1) {
          j.problems.push(`the return page did not go on by itself (${responseMode}); Continue pressed`);
          await onward.click();
        }
      }
      const hit = await arrived;
      await page.waitForLoadState();
      page.off('response', onResponse);

      const answer = hit.method === 'GET' ? hit.url.searchParams : new URLSearchParams(hit.body);
      assert.equal(hit.method, responseMode === 'form_post' ? 'POST' : 'GET', `the response arrives by ${responseMode}`);
      assert.equal(answer.get('error'), null, `no error in the authorization response: ${answer.get('error_description')}`);
      assert.equal(answer.get('iss'), issuer, 'iss in the authorization response (RFC 9207)');
      assert.equal(answer.get('state'), state, 'state comes back');
      assert.ok(answer.get('code'), 'a code in the authorization response');
      j.secret(answer.get('code'));

      const tokens = await client.authorizationCodeGrant(
        config,
        CallbackServer.asRequest(hit),
        { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true },
        { redirect_uri: redirectUri },
      );
      for (const token of [tokens.access_token, tokens.refresh_token, tokens.id_token]) j.secret(token);
      assert.equal(tokens.token_type.toLowerCase(), 'bearer', 'token_type Bearer');
      assert.ok(tokens.refresh_token, 'a refresh token (the client has the refresh_token grant)');
      const idToken = decodeJwt(tokens.id_token);
      assert.equal(idToken.header.alg, alg, `the ID token is signed with ${alg}`);
      const claims = tokens.claims();
      assert.equal(claims.sub, user.id, 'ID token sub is the user id');
      assert.equal(claims.nonce, nonce, 'ID token nonce');
      return { tokens, claims, shown };
    };

    // Round 1: sign in, consent, tokens.
    const first = await authorize({ signInExpected: true, consentExpected: true });
    assert.ok(first.shown.some((entry) => entry.consent), 'the consent page was shown the first time');
    checkAccessToken(first.tokens.access_token, { alg, issuer, clientId, subject: user.id, jwks });

    const info = await client.fetchUserInfo(config, first.tokens.access_token, first.claims.sub);
    assert.equal(info.sub, user.id, 'userinfo sub');
    assert.equal(info.email, user.email, 'userinfo email (scope email)');
    assert.equal(info.email_verified, true, 'userinfo email_verified');

    // Refresh: rotation, then replay detection kills the family.
    const refreshed = await client.refreshTokenGrant(config, first.tokens.refresh_token);
    j.secret(refreshed.access_token);
    j.secret(refreshed.refresh_token);
    assert.ok(refreshed.refresh_token, 'the refresh grant returns a new refresh token');
    assert.notEqual(refreshed.refresh_token, first.tokens.refresh_token, 'the refresh token rotates');
    assert.notEqual(refreshed.access_token, first.tokens.access_token, 'a new access token');
    checkAccessToken(refreshed.access_token, { alg, issuer, clientId, subject: user.id, jwks });

    const live = await client.tokenIntrospection(config, refreshed.access_token);
    assert.equal(live.active, true, 'introspection: the refreshed access token is active');
    assert.equal(live.client_id, clientId, 'introspection: client_id');
    assert.equal(live.sub, user.id, 'introspection: sub');
    assert.ok(String(live.scope).split(' ').includes('openid'), `introspection: scope (${live.scope})`);
    const liveRefresh = await client.tokenIntrospection(config, refreshed.refresh_token, { token_type_hint: 'refresh_token' });
    assert.equal(liveRefresh.active, true, 'introspection: the new refresh token is active');

    await assert.rejects(client.refreshTokenGrant(config, first.tokens.refresh_token), oauthError('invalid_grant'),
      'replaying the old refresh token fails with invalid_grant');
    await assert.rejects(client.refreshTokenGrant(config, refreshed.refresh_token), oauthError('invalid_grant'),
      'after a replay the new refresh token is revoked too (the whole family)');
    const deadRefresh = await client.tokenIntrospection(config, refreshed.refresh_token, { token_type_hint: 'refresh_token' });
    assert.equal(deadRefresh.active, false, 'introspection: the revoked family\'s refresh token is inactive');

    // Round 2: the same browser is signed in and the client has consent: straight back.
    const second = await authorize({ signInExpected: false, consentExpected: false });
    assert.deepEqual(second.shown.filter((entry) => entry.path === '/sign-in' || entry.consent), [],
      'the second authorization asks neither sign-in nor consent');
    checkAccessToken(second.tokens.access_token, { alg, issuer, clientId, subject: user.id, jwks });
    const before = await client.tokenIntrospection(config, second.tokens.access_token, { token_type_hint: 'access_token' });
    assert.equal(before.active, true, 'introspection: active before revocation');
    await client.tokenRevocation(config, second.tokens.access_token, { token_type_hint: 'access_token' });
    const after = await client.tokenIntrospection(config, second.tokens.access_token, { token_type_hint: 'access_token' });
    assert.equal(after.active, false, 'introspection: inactive after revocation (RFC 7009)');
    await assert.rejects(client.fetchUserInfo(config, second.tokens.access_token, user.id),
      'userinfo refuses a revoked access token');
    // Gatehouse ends the whole grant when one of its access tokens is revoked (RFC 7009 §2.1
    // allows it): the refresh token goes too.
    await assert.rejects(client.refreshTokenGrant(config, second.tokens.refresh_token), oauthError('invalid_grant'),
      'revoking an access token ends its grant, refresh token included');

    // Round 3, again without sign-in or consent: a live grant for logout to end.
    const third = await authorize({ signInExpected: false, consentExpected: false });
    assert.deepEqual(third.shown.filter((entry) => entry.path === '/sign-in' || entry.consent), [],
      'the third authorization asks neither sign-in nor consent');

    // RP-initiated logout.
    const logoutState = client.randomState();
    const endSession = client.buildEndSessionUrl(config, {
      id_token_hint: third.tokens.id_token,
      ...(postLogoutUris ? { post_logout_redirect_uri: postLogoutUri, state: logoutState } : {}),
    });
    if (postLogoutUris) {
      const back = callback.next(new URL(postLogoutUri).pathname);
      back.catch(() => {});
      await page.goto(endSession.href);
      const hit = await back;
      assert.equal(hit.url.searchParams.get('state'), logoutState, 'logout returns to post_logout_redirect_uri with state');
    } else {
      const response = await page.goto(endSession.href);
      await page.waitForLoadState();
      assert.ok(response.status() < 400, `the logout endpoint answers ${response.status()} at ${page.url()}`);
      assert.equal(await page.getByRole('heading', { name: exactly(t('oauth.error_title')) }).count(), 0,
        'logout with a valid id_token_hint shows no error page');
      assert.equal(await button(page, t('oauth.logout_confirm')).count(), 0,
        'a valid id_token_hint for the signed-in user needs no confirmation');
    }
    await page.goto('/account');
    await atPath(page, '/sign-in');
    await heading(page, t('sign_in.title'));
    await assert.rejects(client.refreshTokenGrant(config, third.tokens.refresh_token), oauthError('invalid_grant'),
      'logout revokes the grants of the session it ends');
    const ended = await client.tokenIntrospection(config, third.tokens.access_token, { token_type_hint: 'access_token' });
    assert.equal(ended.active, false, 'introspection: the access token of a grant ended by logout is inactive');
  };
}
