// Steps the journeys share, written the way a person uses the pages: accessible names from
// the string catalogue (labels, button texts, headings), never CSS selectors or field names.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';

import { exactly } from './catalogue.js';
import { codeIn, linkIn } from './mailbox.js';

export const SESSION_COOKIE = '__Host-gatehouse_session';
export const FIREFOX_ON_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0';
export const SAFARI_ON_MACOS =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15';

/** A fresh address (reserved domain: nothing is ever really sent there). */
export function uniqueEmail(tag) {
  return `e2e-${tag}-${randomBytes(4).toString('hex')}@example.com`;
}

/** A password the policy accepts: long, random, not on any list. */
export function strongPassword() {
  return `lantern ${randomBytes(9).toString('base64url')} harbour`;
}

/** Waits for the page's main heading to read `text`. */
export async function heading(page, text) {
  await page.getByRole('heading', { level: 1, name: exactly(text) }).waitFor({ state: 'visible' });
}

/** Waits until the page's path is `pathname` (query ignored). */
export async function atPath(page, pathname) {
  await page.waitForURL((url) => url.pathname === pathname);
}

export function button(page, text) {
  return page.getByRole('button', { name: exactly(text) });
}

export function field(scope, label) {
  return scope.getByLabel(label, { exact: true });
}

/** The alert on the page (error summary or problem), once it is visible. */
export async function alertText(page) {
  const alert = page.getByRole('alert');
  await alert.first().waitFor({ state: 'visible' });
  assert.equal(await alert.count(), 1, 'exactly one role=alert element');
  return (await alert.textContent()).replace(/\s+/g, ' ').trim();
}

/** The status notice (role=status) once visible. */
export async function statusText(page) {
  const status = page.getByRole('status');
  await status.first().waitFor({ state: 'visible' });
  return (await status.first().textContent()).replace(/\s+/g, ' ').trim();
}

/** The session cookie as the browser holds it, or undefined. */
export async function sessionCookie(context, url) {
  const cookies = await context.cookies(url);
  return cookies.find((cookie) => cookie.name === SESSION_COOKIE);
}

/** Fills and sends the sign-up form; ends on the "check your mail" verification page. */
export async function signUp(j, page, { email, password, displayName = 'E2E Tester' }) {
  const { t } = j;
  await page.goto('/sign-up');
  await heading(page, t('sign_up.title'));
  await field(page, t('field.email')).fill(email);
  await field(page, t('field.display_name')).fill(displayName);
  await field(page, t('field.new_password')).fill(password);
  await button(page, t('sign_up.submit')).click();
  await heading(page, t('verify.title'));
  assert.ok((await statusText(page)).includes(t('verify.sent')), 'the page says a link and code are on their way');
}

/** Takes the verification mail sent to `email`; returns {link, code} (both secrets). */
export async function verificationMail(j, email) {
  const mail = await j.mailbox.take(email, /\/verify-email\?token=/);
  const link = linkIn(mail, '/verify-email');
  const code = codeIn(mail);
  j.secret(link.searchParams.get('token'));
  j.secret(code);
  assert.equal(link.origin, j.url, 'mailed links are built from the configured public URL');
  return { mail, link, code };
}

/** Opens the mailed link and presses the confirm button (the GET alone changes nothing). */
export async function verifyByLink(j, page, link) {
  const { t } = j;
  await page.goto(link.href);
  await heading(page, t('verify.link_title'));
  await button(page, t('verify.link_submit')).click();
  await heading(page, t('verify.done_title'));
}

/**
 * Signs in through the form: opens `path` (default /sign-in; null: the sign-in page is already
 * open) and expects to land on `expectPath` (default /account; null: don't wait).
 */
export async function signIn(j, page, email, password, { path = '/sign-in', expectPath = '/account' } = {}) {
  const { t } = j;
  if (path) await page.goto(path);
  await atPath(page, '/sign-in');
  await heading(page, t('sign_in.title'));
  await field(page, t('field.email')).fill(email);
  await field(page, t('field.password')).fill(password);
  await button(page, t('sign_in.submit')).click();
  if (expectPath) {
    await atPath(page, expectPath);
    if (expectPath === '/account') await heading(page, t('account.title'));
  }
}

/** Whether the page's browser is signed out: reloading lands on the sign-in page. */
export async function expectSignedOut(j, page, because) {
  await page.reload();
  await page.waitForLoadState();
  assert.equal(new URL(page.url()).pathname, '/sign-in', `signed out ${because}`);
  await heading(page, j.t('sign_in.title'));
}

/** Whether the page's browser is still signed in: reloading stays put. */
export async function expectSignedIn(j, page, because) {
  const before = new URL(page.url()).pathname;
  await page.reload();
  await page.waitForLoadState();
  assert.equal(new URL(page.url()).pathname, before, `still signed in ${because}`);
}

/** A RegExp for a mail subject from the mail catalogue (`{product}` and other values: any). */
export function subjectPattern(j, key) {
  const subject = j.mailT(`${key}.subject`);
  const parts = subject.split(/\{[a-z_]+\}/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.+')}$`);
}

/** Signs in and expects to be refused with `messageKey` shown as an alert on the form. */
export async function signInRefused(j, page, email, password, messageKey = 'error.invalid_credentials') {
  const { t } = j;
  await signIn(j, page, email, password, { expectPath: null });
  assert.ok((await alertText(page)).includes(t(messageKey)), `the alert says "${t(messageKey)}"`);
  await heading(page, t('sign_in.title'));
  assert.equal(new URL(page.url()).pathname, '/sign-in');
  assert.equal(await sessionCookie(page.context()), undefined, 'no session cookie after a refused sign-in');
}

/** Presses "Sign out" in the header; ends on /sign-in without a session cookie. */
export async function signOut(j, page) {
  const { t } = j;
  await button(page.getByRole('navigation'), t('layout.sign_out')).click();
  await atPath(page, '/sign-in');
  await heading(page, t('sign_in.title'));
  assert.equal(await sessionCookie(page.context()), undefined, 'the session cookie is gone after signing out');
}

/** A verified account made through the pages, in a context of its own that is then closed. */
export async function verifiedAccount(j, tag) {
  const email = uniqueEmail(tag);
  const password = j.secret(strongPassword());
  const context = await j.newContext();
  const page = await context.newPage();
  await signUp(j, page, { email, password });
  const { link } = await verificationMail(j, email);
  await verifyByLink(j, page, link);
  await context.close();
  j.contexts = j.contexts.filter((c) => c !== context);
  return { email, password };
}
