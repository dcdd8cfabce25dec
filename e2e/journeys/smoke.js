// The PostgreSQL smoke journey: sign up → verify → sign in → sign out.

import assert from 'node:assert/strict';

import {
  atPath, heading, signIn, signOut, signUp, strongPassword, uniqueEmail, verificationMail, verifyByLink,
} from '../lib/flows.js';

export default async function smoke(j) {
  const email = uniqueEmail('smoke');
  const password = j.secret(strongPassword());
  const page = await j.newPage();
  await signUp(j, page, { email, password });
  const { link } = await verificationMail(j, email);
  await verifyByLink(j, page, link);
  await signIn(j, page, email, password);
  await signOut(j, page);
  await page.goto('/account');
  await atPath(page, '/sign-in');
  await heading(page, j.t('sign_in.title'));
  assert.equal(new URL(page.url()).searchParams.get('next'), '/account', 'signed out: /account sends to sign-in and back');
}
