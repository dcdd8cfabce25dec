// g. Passkeys: sign up → verify → sign in with the password → add a passkey at /account/mfa
//    (confirming it is you first if the page asks) → the recovery codes → confirm it is you with
//    the passkey → sign out → sign in with only the passkey, by the button on /sign-in →
//    /account → sign out → the sign-in page's autofill (conditional mediation) signs in again. The authenticator is Chromium's
//    DevTools virtual authenticator: a platform one (internal transport) that keeps discoverable
//    credentials and verifies its user.

import assert from 'node:assert/strict';

import { exactly, startingWith } from '../lib/catalogue.js';
import {
  atPath, button, field, heading, sessionCookie, signIn, signOut, statusText, verifiedAccount,
} from '../lib/flows.js';

// ---- shared with security-key.js ---------------------------------------------------------------

/** Chromium's DevTools virtual authenticator on `page` (CDP WebAuthn domain): CTAP2, presence
 *  simulated; `options` say how it is attached and what it can do. */
async function virtualAuthenticator(page, options) {
  const client = await page.context().newCDPSession(page);
  await client.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await client.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', automaticPresenceSimulation: true, ...options },
  });
  return { client, authenticatorId };
}

/** A platform authenticator (like a laptop's): discoverable credentials, verifies its user. */
export function platformAuthenticator(page) {
  return virtualAuthenticator(page, {
    transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true,
  });
}

/** A USB security key without discoverable credentials (it has a PIN, which it checks). */
export function securityKey(page) {
  return virtualAuthenticator(page, {
    transport: 'usb', hasResidentKey: false, hasUserVerification: true, isUserVerified: true,
  });
}

/** The credentials the virtual authenticator holds. */
export async function registeredCredentials({ client, authenticatorId }) {
  const { credentials } = await client.send('WebAuthn.getCredentials', { authenticatorId });
  return credentials;
}

/**
 * Confirms it is the user on /confirm-identity: with a passkey alone (`withPasskey`), or with
 * the password and then, when the second step is asked for, the security key.
 */
export async function confirmIdentity(j, page, { password, withPasskey }) {
  const { t } = j;
  await atPath(page, '/confirm-identity');
  await heading(page, t('step_up.title'));
  if (withPasskey) {
    await button(page, t('step_up.passkey')).click();
    return;
  }
  await field(page, t('field.current_password')).fill(password);
  await button(page, t('step_up.submit')).click();
  await atPath(page, '/sign-in/second-factor');
  await heading(page, t('challenge.step_up_title'));
  await button(page, t('challenge.use_key')).click();
}

/**
 * Adds a passkey or security key (`kind`) named `name` at /account/mfa, confirming it is the
 * user with `password` if the page asks first. As the first second factor it comes with
 * recovery codes (secrets of the journey). The session then no longer counts as strong (it
 * used the password alone), so the factor page asks to confirm again, now with the new key.
 */
export async function addKey(j, page, { kind, name, password }) {
  const { t } = j;
  await page.goto('/account/mfa');
  await page.waitForLoadState();
  if (new URL(page.url()).pathname === '/confirm-identity') {
    await heading(page, t('step_up.title'));
    await field(page, t('field.current_password')).fill(password);
    await button(page, t('step_up.submit')).click();
    await atPath(page, '/account/mfa');
  }
  await heading(page, t('mfa.title'));
  const keys = page.getByRole('region', { name: exactly(t('mfa.keys')) });
  await field(keys, t('mfa.name')).fill(name);
  await button(keys, t(kind === 'passkey' ? 'mfa.add_passkey' : 'mfa.add_security_key')).click();
  await heading(page, t('recovery_codes.title'));
  const codes = await page.locator('[data-recovery-codes] code').allTextContents();
  assert.equal(codes.length, 10, 'ten recovery codes are shown');
  for (const code of codes) j.secret(code);
  await button(page, t('recovery_codes.continue')).click();
  await page.waitForURL((url) => url.pathname === '/confirm-identity'
    || (url.pathname === '/account/mfa' && url.searchParams.get('notice') === 'factor_added'));
  if (new URL(page.url()).pathname === '/confirm-identity') {
    await confirmIdentity(j, page, { password, withPasskey: kind === 'passkey' });
    await atPath(page, '/account/mfa');
  } else {
    assert.equal(await statusText(page), t('notice.factor_added'));
  }
  await heading(page, t('mfa.title'));
  assert.equal(await listed(page, name).count(), 1, `"${name}" is listed`);
}

/** The heading of the factor called `name` in the page's lists. */
export function listed(page, name) {
  return page.getByRole('heading', { level: 3, name: startingWith(name) });
}

// ---- the journey -------------------------------------------------------------------------------

export default async function passkeys(j) {
  const { t } = j;
  const { email, password } = await verifiedAccount(j, 'passkey');
  const page = await j.newPage();
  const authenticator = await platformAuthenticator(page);

  await signIn(j, page, email, password);
  await addKey(j, page, { kind: 'passkey', name: 'This laptop', password });
  const [credential] = await registeredCredentials(authenticator);
  assert.ok(credential, 'the authenticator holds the new credential');
  assert.equal(credential.isResidentCredential, true, 'a passkey is discoverable (resident)');
  assert.equal(credential.rpId, 'localhost', 'bound to the relying party of the public URL');

  // Sign out. The sign-in page starts the browser's autofill request (conditional mediation)
  // as it loads; this virtual authenticator would answer it at once, so it is held back once
  // here: the button is what signs in.
  let heldBack;
  const autofillHeldBack = new Promise((resolve) => { heldBack = resolve; });
  let starts = 0;
  await page.route('**/webauthn/passkey/start', (route) => {
    starts += 1;
    if (starts === 1) {
      heldBack();
      return route.abort();
    }
    return route.continue();
  });
  await signOut(j, page);
  await autofillHeldBack;

  // Only the passkey: no address, no password.
  await button(page, t('sign_in.passkey')).click();
  await atPath(page, '/account');
  await heading(page, t('account.title'));
  const first = await sessionCookie(page.context());
  assert.ok(first, 'signed in with the passkey alone');
  const [used] = await registeredCredentials(authenticator);
  assert.ok(used.signCount >= 1, 'the passkey signed');
  await page.unroute('**/webauthn/passkey/start');

  // A passkey counts as two factors: the factor settings open without confirming again.
  await page.goto('/account/mfa');
  await atPath(page, '/account/mfa');
  await heading(page, t('mfa.title'));
  assert.equal(await listed(page, 'This laptop').count(), 1, 'the passkey is listed by its name');

  // The browser's autofill: signing out lands on the sign-in page, whose conditional request
  // this authenticator answers without a click, and the passkey signs in again.
  await Promise.all([
    page.waitForURL((url) => url.pathname === '/sign-in'),
    button(page.getByRole('navigation'), t('layout.sign_out')).click(),
  ]);
  await page.waitForURL((url) => url.pathname === '/account');
  await heading(page, t('account.title'));
  const second = await sessionCookie(page.context());
  assert.ok(second && second.value !== first.value, 'a new session from the autofill sign-in');
  j.secret(first.value);
  j.secret(second.value);
}
