// h. A security key as the second step: sign up → verify → sign in → add a security key at
//    /account/mfa → sign out → sign in with the password → the second-step page → use the key →
//    /account. The key is Chromium's DevTools virtual authenticator on USB, without discoverable
//    credentials.

import assert from 'node:assert/strict';

import { addKey, registeredCredentials, securityKey } from './passkeys.js';
import {
  atPath, button, heading, sessionCookie, signIn, signOut, verifiedAccount,
} from '../lib/flows.js';

export default async function securityKeyJourney(j) {
  const { t } = j;
  const { email, password } = await verifiedAccount(j, 'security-key');
  const page = await j.newPage();
  const authenticator = await securityKey(page);

  await signIn(j, page, email, password);
  await addKey(j, page, { kind: 'security_key', name: 'Blue key', password });
  const [credential] = await registeredCredentials(authenticator);
  assert.ok(credential, 'the key holds the new credential');
  assert.equal(credential.isResidentCredential, false, 'a security key need not keep a discoverable credential');

  await signOut(j, page);

  // The password alone no longer signs in: the second step is asked for.
  await signIn(j, page, email, password, { expectPath: '/sign-in/second-factor' });
  await heading(page, t('challenge.title'));
  assert.equal(await sessionCookie(page.context()), undefined, 'no session after the password alone');
  await button(page, t('challenge.use_key')).click();
  await atPath(page, '/account');
  await heading(page, t('account.title'));
  assert.ok(await sessionCookie(page.context()), 'signed in with password and key');
  const [used] = await registeredCredentials(authenticator);
  assert.ok(used.signCount >= 1, 'the key signed');
}
