// h. Two-step sign-in with an authenticator app: add one through /account/mfa (QR code and key
//    shown, confirmed by a first code computed here from the key), recovery codes shown once;
//    sign out; sign in again with the password and a code; sign out; sign in with a recovery
//    code, which is used up and announced by mail.

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';

import {
  atPath, button, field, heading, signIn, signOut, statusText, verifiedAccount,
} from '../lib/flows.js';

/** RFC 4648 base32 to bytes. */
function base32(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of text.replace(/[\s=]/g, '').toUpperCase()) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

/** RFC 6238 (HMAC-SHA1, 6 digits, 30 s) for the step `offset` steps from now. */
function totp(seed, offset = 0) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30_000) + offset));
  const digest = createHmac('sha1', seed).update(counter).digest();
  const at = digest[19] & 0x0f;
  const binary = (digest.readUInt32BE(at) & 0x7fffffff) % 1_000_000;
  return String(binary).padStart(6, '0');
}

export default async function totpJourney(j) {
  const { t } = j;
  const { email, password } = await verifiedAccount(j, 'totp');
  const page = await j.newPage();
  await signIn(j, page, email, password);

  await page.getByRole('link', { name: t('account.mfa'), exact: true }).click();
  await atPath(page, '/account/mfa');
  await heading(page, t('mfa.title'));
  const apps = page.getByRole('region', { name: t('mfa.apps'), exact: true });
  await field(apps, t('mfa.name')).fill('Phone');
  await button(apps, t('mfa.add_app')).click();

  await heading(page, t('totp_setup.title'));
  assert.equal(await page.locator('figure svg').count(), 1, 'a QR code drawn by the server');
  const key = (await page.locator('[data-totp-secret]').textContent()).trim();
  const seed = j.secret(base32(key));
  assert.equal(seed.length, 20, 'a 160-bit key');
  await field(page, t('totp_setup.code')).fill(totp(seed));
  await button(page, t('totp_setup.confirm')).click();

  await heading(page, t('recovery_codes.title'));
  const codes = (await page.getByRole('listitem').allTextContents())
    .map((text) => text.trim())
    .filter((text) => /^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$/.test(text));
  assert.equal(codes.length, 10, 'ten recovery codes');
  codes.forEach((code) => j.secret(code));
  await button(page, t('recovery_codes.continue')).click();
  await atPath(page, '/account/mfa');
  assert.ok((await statusText(page)).includes(t('notice.factor_added')));
  await signOut(j, page);

  // Password, then a code: the next step's code (the confirming step is used up; ±1 step is
  // accepted).
  await signIn(j, page, email, password, { expectPath: '/sign-in/second-factor' });
  await heading(page, t('challenge.title'));
  await field(page, t('challenge.code')).fill(totp(seed, 1));
  await button(page, t('challenge.submit')).click();
  await atPath(page, '/account');
  await heading(page, t('account.title'));
  await signOut(j, page);

  // A recovery code instead: it works once and the owner is told.
  await signIn(j, page, email, password, { expectPath: '/sign-in/second-factor' });
  await page.getByRole('link', { name: t('challenge.use_recovery'), exact: true }).click();
  await field(page, t('challenge.recovery_code')).fill(codes[0].toLowerCase());
  await button(page, t('challenge.submit')).click();
  await atPath(page, '/account');
  const mail = await j.mailbox.take(email, /recovery code was used/);
  assert.match(mail.text, /9/, 'the mail says how many codes are left');
}
