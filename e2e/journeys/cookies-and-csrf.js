// e. The session cookie is __Host-, HttpOnly, Secure, SameSite=Lax; pages carry the security
//    headers (errors too); state-changing requests without the CSRF token are refused with 403
//    and change nothing, whether sent with the browser's cookies or from another site.

import assert from 'node:assert/strict';
import http from 'node:http';

import { atPath, button, field, heading, sessionCookie, signIn, statusText, verifiedAccount } from '../lib/flows.js';

const CSP_DIRECTIVES = ["object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"];

function checkSecurityHeaders(headers, where, { personal = false } = {}) {
  const csp = headers['content-security-policy'] || '';
  for (const directive of CSP_DIRECTIVES) assert.ok(csp.includes(directive), `${where}: CSP has ${directive} ("${csp}")`);
  assert.match(csp, /script-src [^;]*'self'/, `${where}: CSP limits scripts to the site`);
  assert.doesNotMatch(csp, /script-src[^;]*'unsafe-inline'/, `${where}: CSP forbids inline script`);
  assert.equal(headers['x-content-type-options'], 'nosniff', `${where}: nosniff`);
  assert.ok(headers['referrer-policy'], `${where}: Referrer-Policy`);
  assert.ok('strict-transport-security' in headers, `${where}: Strict-Transport-Security`);
  if (personal) assert.match(headers['cache-control'] || '', /no-store/, `${where}: no-store on a page with personal data`);
}

/** A page on another site (127.0.0.1 is not the same site as localhost) that posts a form to
 *  gatehouse as soon as it loads, the classic CSRF attack. */
async function attackerSite(target) {
  const server = http.createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(`<!DOCTYPE html><title>Win a prize</title>
<form id="f" method="post" action="${target}/account">
<input name="display_name" value="Mallory was here"></form>
<script>document.getElementById('f').submit();</script>`);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((r) => server.close(r)) };
}

async function displayName(j, page) {
  await page.goto('/account');
  await heading(page, j.t('account.title'));
  return page.getByLabel(j.t('field.display_name'), { exact: true }).inputValue();
}

export default async function cookiesAndCsrf(j) {
  const { t } = j;
  const { email, password } = await verifiedAccount(j, 'csrf');
  const page = await j.newPage();
  const context = page.context();

  const signInPage = await page.goto('/sign-in');
  checkSecurityHeaders(signInPage.headers(), 'GET /sign-in');
  // A `next=` to another site is not followed after sign-in.
  await signIn(j, page, email, password, { path: `/sign-in?next=${encodeURIComponent('//evil.example/steal')}` });

  const cookies = await context.cookies(j.url);
  const session = await sessionCookie(context, j.url);
  assert.ok(session, 'a session cookie is set');
  j.secret(session.value);
  assert.ok(session.name.startsWith('__Host-'), 'the session cookie has the __Host- prefix');
  assert.equal(session.httpOnly, true, 'HttpOnly');
  assert.equal(session.secure, true, 'Secure');
  assert.equal(session.sameSite, 'Lax', 'SameSite=Lax');
  assert.equal(session.path, '/', 'Path=/');
  assert.equal(session.domain, 'localhost', 'host-only (no Domain attribute)');
  assert.ok(session.value.length >= 22, 'at least 128 bits of session id');
  for (const cookie of cookies) {
    assert.ok(cookie.name.startsWith('__Host-') && cookie.httpOnly && cookie.secure && cookie.sameSite === 'Lax',
      `every cookie is __Host-, HttpOnly, Secure, SameSite=Lax: ${JSON.stringify(cookie)}`);
  }
  assert.equal(await page.evaluate(() => document.cookie), '', 'scripts cannot read the cookies');

  const account = await page.goto('/account');
  checkSecurityHeaders(account.headers(), 'GET /account', { personal: true });
  const missing = await page.goto('/no-such-page');
  assert.equal(missing.status(), 404);
  checkSecurityHeaders(missing.headers(), 'GET /no-such-page (404)');

  // The profile form with its token works (the control for the refusals below).
  await page.goto('/account');
  await field(page, t('field.display_name')).fill('Carol Control');
  await button(page, t('account.save')).click();
  await atPath(page, '/account');
  assert.equal(await statusText(page), t('notice.profile_saved'));
  assert.equal(await displayName(j, page), 'Carol Control');

  // Same-site requests with the browser's cookies but without (or with a wrong) token.
  const attempts = [
    ['POST /account without a token', '/account', { display_name: 'Mallory' }],
    ['POST /account with a forged token', '/account', { display_name: 'Mallory', csrf_token: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }],
    ['POST /sign-out without a token', '/sign-out', {}],
    ['POST /account/sessions/revoke-others without a token', '/account/sessions/revoke-others', {}],
  ];
  for (const [what, path, form] of attempts) {
    const response = await page.request.post(path, { form, maxRedirects: 0 });
    assert.equal(response.status(), 403, `${what} is refused`);
    checkSecurityHeaders(response.headers(), `${what} (403)`);
    assert.ok((await response.text()).includes(t('error.csrf')), `${what}: the page explains the refusal`);
  }
  const json = await page.request.post('/account-api/sign-out', { data: {}, maxRedirects: 0 });
  assert.equal(json.status(), 403, 'the JSON twin refuses a request without X-CSRF-Token');

  // A real cross-site form post from another site.
  const attacker = await attackerSite(j.url);
  try {
    const landed = page.waitForResponse((r) => r.request().method() === 'POST' && r.url() === `${j.url}/account`);
    await page.goto(attacker.url);
    assert.equal((await landed).status(), 403, 'a cross-site form post is refused');
  } finally {
    await attacker.close();
  }

  // Nothing changed: same name, still signed in with the same session.
  assert.equal(await displayName(j, page), 'Carol Control', 'the profile did not change');
  assert.equal((await sessionCookie(context, j.url)).value, session.value, 'still the same session');
  await page.goto('/account/sessions');
  await heading(page, t('sessions.title'));
}
