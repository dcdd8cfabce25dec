// b. Forgot password → mail → reset → sign in with the new password. Also: the same answer
//    for an unknown address, the reset link works once, and the old password stops working.

import assert from 'node:assert/strict';

import { linkIn } from '../lib/mailbox.js';
import {
  alertText, atPath, button, expectSignedOut, field, heading, signIn, signInRefused, strongPassword,
  uniqueEmail, verifiedAccount,
} from '../lib/flows.js';

async function askForReset(j, page, email) {
  const { t } = j;
  await page.goto('/sign-in');
  await page.getByRole('link', { name: t('sign_in.forgot'), exact: true }).click();
  await atPath(page, '/forgot-password');
  await heading(page, t('forgot.title'));
  await field(page, t('field.email')).fill(email);
  await button(page, t('forgot.submit')).click();
  await heading(page, t('forgot.sent_title'));
  return (await page.getByRole('main').innerText()).trim();
}

export default async function passwordReset(j) {
  const { t } = j;
  const { email, password } = await verifiedAccount(j, 'reset');
  const newPassword = j.secret(strongPassword());
  const page = await j.newPage();
  // A browser signed in before the reset: the reset signs it out.
  const elsewhere = await j.newPage();
  await signIn(j, elsewhere, email, password);

  const answerForUnknown = await askForReset(j, page, uniqueEmail('nobody'));
  const answerForKnown = await askForReset(j, page, email);
  assert.equal(answerForKnown, answerForUnknown, 'the same answer whether or not the address has an account');

  const mail = await j.mailbox.take(email, /\/reset-password\?token=/);
  const link = linkIn(mail, '/reset-password');
  j.secret(link.searchParams.get('token'));
  assert.equal(link.origin, j.url, 'the reset link is built from the configured public URL');

  await page.goto(link.href);
  await heading(page, t('reset.title'));
  await field(page, t('field.new_password')).fill(newPassword);
  await button(page, t('reset.submit')).click();
  await heading(page, t('reset.done_title'));
  await expectSignedOut(j, elsewhere, 'everywhere after a password reset');

  // The link works once.
  await page.goto(link.href);
  await heading(page, t('reset.title'));
  await field(page, t('field.new_password')).fill(j.secret(strongPassword()));
  const replay = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/reset-password');
  await button(page, t('reset.submit')).click();
  assert.equal((await replay).status(), 400, 'a used reset link is refused');
  assert.ok((await alertText(page)).includes(t('error.invalid_link')), 'the page says the link is used up');

  await signInRefused(j, page, email, password);
  await signIn(j, page, email, newPassword);
}
