// a. Sign up → verification mail → link → confirm → sign in → session list → sign out another
//    session (a second, separate browser) → change password → sign out → the new password
//    works and the old one does not. On the way: "sign out all others", and the password change
//    ending every other session while renewing this one.

import assert from 'node:assert/strict';

import { startingWith } from '../lib/catalogue.js';
import {
  FIREFOX_ON_WINDOWS, SAFARI_ON_MACOS, atPath, button, expectSignedIn, expectSignedOut, field, heading,
  sessionCookie, signIn, signInRefused, signOut, signUp, statusText, strongPassword, subjectPattern,
  uniqueEmail, verificationMail, verifyByLink,
} from '../lib/flows.js';

function sessionRows(page) {
  return page.getByRole('main').getByRole('listitem').filter({ has: page.getByRole('heading', { level: 2 }) });
}

export default async function accountLifecycle(j) {
  const { t } = j;
  const email = uniqueEmail('lifecycle');
  const password = j.secret(strongPassword());
  const newPassword = j.secret(strongPassword());

  const page = await j.newPage();
  await signUp(j, page, { email, password, displayName: 'Ada Lifecycle' });
  const { link } = await verificationMail(j, email);
  await verifyByLink(j, page, link);

  await signIn(j, page, email, password);
  const firstCookie = await sessionCookie(page.context());
  assert.ok(firstCookie, 'signed in: the browser holds a session cookie');

  // Two more, separate browsers sign in to the same account.
  const firefox = await j.newPage({ userAgent: FIREFOX_ON_WINDOWS });
  await signIn(j, firefox, email, password);
  const safari = await j.newPage({ userAgent: SAFARI_ON_MACOS });
  await signIn(j, safari, email, password);

  await page.getByRole('navigation').getByRole('link', { name: t('layout.sessions'), exact: true }).click();
  await atPath(page, '/account/sessions');
  await heading(page, t('sessions.title'));
  const rows = sessionRows(page);
  assert.equal(await rows.count(), 3, 'three sessions are listed');
  const current = rows.filter({ hasText: t('sessions.this_device') });
  assert.equal(await current.count(), 1, 'exactly one row is marked as this device');
  assert.equal(await current.getByRole('button').count(), 0, 'the current session has no sign-out button of its own');
  const firefoxDevice = t('sessions.browser_on_system', { browser: 'Firefox', system: 'Windows' });
  const firefoxRow = rows.filter({ hasText: firefoxDevice });
  assert.equal(await firefoxRow.count(), 1, `the second browser is listed as "${firefoxDevice}"`);
  const safariDevice = t('sessions.browser_on_system', { browser: 'Safari', system: 'macOS' });
  assert.equal(await rows.filter({ hasText: safariDevice }).count(), 1, `the third browser is listed as "${safariDevice}"`);

  // "Sign out this one" on the Firefox row: only that browser is signed out.
  await firefoxRow.getByRole('button', { name: startingWith(`${t('sessions.revoke')} (${firefoxDevice}`) }).click();
  await atPath(page, '/account/sessions');
  assert.equal(await statusText(page), t('notice.session_revoked'));
  assert.equal(await sessionRows(page).count(), 2, 'two sessions are left');
  await expectSignedOut(j, firefox, 'in the browser whose session was ended');
  await expectSignedIn(j, safari, 'in the browser whose session was not ended');

  // "Sign out all other sessions".
  await button(page, t('sessions.revoke_others')).click();
  await atPath(page, '/account/sessions');
  assert.equal(await statusText(page), t('notice.other_sessions_revoked'));
  assert.equal(await sessionRows(page).count(), 1, 'only this session is left');
  await expectSignedOut(j, safari, 'after "sign out all other sessions"');
  await expectSignedIn(j, page, 'in the browser that signed the others out');

  // Safari signs in again, from a protected page: it comes back there afterwards.
  await safari.goto('/account/sessions');
  await atPath(safari, '/sign-in');
  await signIn(j, safari, email, password, { path: null, expectPath: '/account/sessions' });

  // Change the password (current one required): other sessions end, this one is renewed.
  await page.goto('/account');
  await page.getByRole('link', { name: t('account.change_password'), exact: true }).click();
  await atPath(page, '/account/password');
  await heading(page, t('password_change.title'));
  await field(page, t('field.current_password')).fill(password);
  await field(page, t('field.new_password')).fill(newPassword);
  await button(page, t('password_change.submit')).click();
  await atPath(page, '/account');
  assert.equal(await statusText(page), t('notice.password_changed'));
  const renewed = await sessionCookie(page.context());
  assert.ok(renewed, 'still signed in after changing the password');
  assert.notEqual(renewed.value, firstCookie.value, 'the session id is new after the password change');
  await expectSignedOut(j, safari, 'everywhere else after the password change');
  await j.mailbox.take(email, (mail) => subjectPattern(j, 'password_changed').test(mail.subject));

  await signOut(j, page);
  assert.equal(await statusText(page), t('notice.signed_out'));

  await signInRefused(j, page, email, password);
  await signIn(j, page, email, newPassword);
}
