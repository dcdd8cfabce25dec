// f. A second locale: with Accept-Language: de (browser locale de-DE) the pages are German.

import assert from 'node:assert/strict';

import { alertText, button, field, heading, uniqueEmail } from '../lib/flows.js';

export default async function german(j) {
  const { t, de } = j;
  assert.notEqual(de('sign_in.title'), t('sign_in.title'), 'the German catalogue is really German');
  const page = await j.newPage({ locale: 'de-DE' });
  const response = await page.goto('/sign-in');
  assert.match(response.request().headers()['accept-language'] || '', /^de/, 'the browser asks for German');
  await heading(page, de('sign_in.title'));
  assert.equal(await page.locator('html').getAttribute('lang'), 'de');
  assert.match(await page.title(), new RegExp(`^${de('sign_in.title')}`));
  await field(page, de('field.email')).fill(uniqueEmail('deutsch'));
  await field(page, de('field.password')).fill(j.secret('ein falsches Passwort'));
  await page.getByRole('link', { name: de('sign_in.forgot'), exact: true }).waitFor();
  await button(page, de('sign_in.submit')).click();
  assert.ok((await alertText(page)).includes(de('error.invalid_credentials')), 'the error is in German too');
}
