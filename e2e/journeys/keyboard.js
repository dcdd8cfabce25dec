// d. Keyboard only (Tab, typing, Enter; no clicks): the skip link comes first and lands in the
//    main content; a form error is announced (role=alert, focused) and the field at fault has
//    aria-invalid and is described by its message; then a complete sign-in.

import assert from 'node:assert/strict';

import { alertText, atPath, heading, verifiedAccount } from '../lib/flows.js';

/** What has keyboard focus, described the way a screen reader user would know it. */
async function focused(page) {
  return page.evaluate(() => {
    const element = document.activeElement;
    if (!element || element === document.body) return { what: 'body' };
    const label = element.labels && element.labels[0] ? element.labels[0].textContent.trim() : '';
    return {
      what: element.tagName.toLowerCase(),
      id: element.id,
      role: element.getAttribute('role') || '',
      label,
      text: (element.innerText || '').replace(/\s+/g, ' ').trim(),
    };
  });
}

/** Presses Tab until `wanted(focus)` holds; returns the stops passed on the way. */
async function tabTo(page, wanted, description, maxPresses = 12) {
  const trail = [];
  for (let presses = 0; presses < maxPresses; presses += 1) {
    await page.keyboard.press('Tab');
    const focus = await focused(page);
    trail.push(focus.label || focus.text || focus.id || focus.what);
    if (wanted(focus)) return trail;
  }
  throw new Error(`Tab never reached ${description}; focus went: ${trail.join(' → ')}`);
}

const labelled = (label) => (focus) => focus.what === 'input' && focus.label === label;

export default async function keyboardOnly(j) {
  const { t } = j;
  const { email, password } = await verifiedAccount(j, 'keyboard');
  const page = await j.newPage();

  // A field error, by keyboard, on the sign-up form: too short a password.
  await page.goto('/sign-up');
  await heading(page, t('sign_up.title'));
  const first = await tabTo(page, () => true, 'anything');
  assert.deepEqual(first, [t('layout.skip_to_content')], 'the skip link is the first Tab stop');
  await page.keyboard.press('Enter');
  assert.equal((await focused(page)).id, 'main', 'the skip link moves focus to the main content');
  const toEmail = await tabTo(page, labelled(t('field.email')), 'the email field');
  assert.equal(toEmail.length, 1, `after the skip link, the email field is next (went: ${toEmail.join(' → ')})`);
  await page.keyboard.type('keyboard-error@example.com');
  await tabTo(page, labelled(t('field.new_password')), 'the new password field');
  await page.keyboard.type('too short');
  await page.keyboard.press('Enter');
  assert.ok((await alertText(page)).includes(t('password.too_short', { minimum: '15' })), 'the error is in the alert');
  const focusAfterError = await focused(page);
  assert.equal(focusAfterError.role, 'alert', `focus moves to the error summary (it is on ${JSON.stringify(focusAfterError)})`);
  const passwordField = page.getByLabel(t('field.new_password'), { exact: true });
  assert.equal(await passwordField.getAttribute('aria-invalid'), 'true', 'the password field has aria-invalid');
  const describedBy = ((await passwordField.getAttribute('aria-describedby')) || '').split(/\s+/);
  const errorId = describedBy.find((id) => id.endsWith('-error'));
  assert.ok(errorId, `the password field is described by its error (aria-describedby="${describedBy.join(' ')}")`);
  assert.ok((await page.locator(`[id="${errorId}"]`).innerText()).includes(t('password.too_short', { minimum: '15' })));
  assert.equal(await page.getByLabel(t('field.email'), { exact: true }).getAttribute('aria-invalid'), null,
    'the email field, which was fine, is not marked invalid');
  assert.equal(await page.getByLabel(t('field.email'), { exact: true }).inputValue(), 'keyboard-error@example.com',
    'what was typed is kept');

  // Sign-in by keyboard: a wrong password first (announced), then the right one.
  await page.goto('/sign-in');
  await heading(page, t('sign_in.title'));
  await tabTo(page, labelled(t('field.email')), 'the email field');
  await page.keyboard.type(email);
  await page.keyboard.press('Tab');
  assert.equal((await focused(page)).label, t('field.password'), 'Tab goes from email to password');
  await page.keyboard.type(j.secret('not the right password at all'));
  await page.keyboard.press('Enter');
  assert.ok((await alertText(page)).includes(t('error.invalid_credentials')), 'the wrong password is announced');
  assert.equal((await focused(page)).role, 'alert', 'focus moves to the error summary');
  await tabTo(page, labelled(t('field.email')), 'the email field after the error');
  assert.equal(await page.getByLabel(t('field.email'), { exact: true }).inputValue(), email, 'the address is kept');
  await page.keyboard.press('Tab');
  assert.equal((await focused(page)).label, t('field.password'));
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
  await atPath(page, '/account');
  await heading(page, t('account.title'));
}
