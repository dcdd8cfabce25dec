// c. Verification by the six-digit code instead of the link: a wrong code is an error on the
//    code field; the right one verifies; the mailed link is dead afterwards.

import assert from 'node:assert/strict';

import {
  alertText, button, field, heading, signIn, signInRefused, signUp, strongPassword, uniqueEmail,
  verificationMail,
} from '../lib/flows.js';

export default async function verifyByCode(j) {
  const { t } = j;
  const email = uniqueEmail('code');
  const password = j.secret(strongPassword());
  const page = await j.newPage();

  await signUp(j, page, { email, password });
  const { code, link } = await verificationMail(j, email);

  // Opening the mailed link (GET) changes nothing: the address is still unverified, and the
  // code below still works (verifying by link would have revoked it).
  const peek = await page.context().newPage();
  await peek.goto(link.href);
  await heading(peek, t('verify.link_title'));
  await signInRefused(j, peek, email, password, 'error.email_not_verified');
  await peek.getByRole('link', { name: t('sign_in.verify_link'), exact: true }).waitFor();
  await peek.close();

  // The page after sign-up is the code form, the address already filled in.
  const codeForm = page.locator('form').filter({ has: button(page, t('verify.code_submit')) });
  assert.equal(await field(codeForm, t('field.email')).inputValue(), email);

  const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
  await field(codeForm, t('field.code')).fill(wrong);
  await button(codeForm, t('verify.code_submit')).click();
  assert.ok((await alertText(page)).includes(t('error.invalid_code')), 'a wrong code is reported');
  const codeField = field(page.locator('form').filter({ has: button(page, t('verify.code_submit')) }), t('field.code'));
  assert.equal(await codeField.getAttribute('aria-invalid'), 'true', 'the code field is marked invalid');
  const describedBy = (await codeField.getAttribute('aria-describedby')) || '';
  const errorId = describedBy.split(/\s+/).find((id) => id.endsWith('-error'));
  assert.ok(errorId, `the code field is described by its error (aria-describedby="${describedBy}")`);
  assert.ok((await page.locator(`[id="${errorId}"]`).innerText()).includes(t('error.invalid_code')));

  const again = page.locator('form').filter({ has: button(page, t('verify.code_submit')) });
  if ((await field(again, t('field.email')).inputValue()) !== email) await field(again, t('field.email')).fill(email);
  await field(again, t('field.code')).fill(code);
  await button(again, t('verify.code_submit')).click();
  await heading(page, t('verify.done_title'));

  // Verified by code, the link from the same mail no longer works.
  await page.goto(link.href);
  await heading(page, t('verify.link_title'));
  await button(page, t('verify.link_submit')).click();
  assert.ok((await alertText(page)).includes(t('error.invalid_link')), 'the link is dead once the code was used');

  await signIn(j, page, email, password);
  await page.getByText(t('account.verified'), { exact: true }).waitFor();
}
