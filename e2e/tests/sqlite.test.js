// The journeys of issues 3 and 4 in Debian's Chromium against `gatehouse serve` on SQLite.

import { after, before, describe, test } from 'node:test';

import { Stack, journey } from '../lib/harness.js';
import accountLifecycle from '../journeys/account-lifecycle.js';
import passwordReset from '../journeys/password-reset.js';
import verifyByCode from '../journeys/verify-by-code.js';
import keyboardOnly from '../journeys/keyboard.js';
import cookiesAndCsrf from '../journeys/cookies-and-csrf.js';
import german from '../journeys/german.js';
import passkeys from '../journeys/passkeys.js';
import securityKey from '../journeys/security-key.js';
import totp from '../journeys/totp.js';

const TIMEOUT = 90_000;

describe('gatehouse on SQLite in Chromium', { timeout: 10 * 60_000 }, () => {
  let stack;
  const current = () => stack;

  before(async () => {
    stack = await new Stack('sqlite').start();
  }, { timeout: 120_000 });

  after(async () => {
    await stack?.stop();
  }, { timeout: 60_000 });

  test('a. sign up, verify by link, sessions, sign out another, change password, sign out', { timeout: TIMEOUT },
    journey(current, 'account lifecycle', accountLifecycle));
  test('b. forgot password, mail, reset, sign in with the new password', { timeout: TIMEOUT },
    journey(current, 'password reset', passwordReset));
  test('c. verify by six-digit code', { timeout: TIMEOUT },
    journey(current, 'verify by code', verifyByCode));
  test('d. keyboard only: errors announced, sign-in by Tab, typing and Enter', { timeout: TIMEOUT },
    journey(current, 'keyboard only', keyboardOnly));
  test('e. cookie attributes, security headers, CSRF refusals', { timeout: TIMEOUT },
    journey(current, 'cookies and csrf', cookiesAndCsrf));
  test('f. German with Accept-Language: de', { timeout: TIMEOUT },
    journey(current, 'german', german));
  test('g. a passkey added at /account/mfa signs in alone from /sign-in', { timeout: TIMEOUT },
    journey(current, 'passkeys', passkeys));
  test('h. a security key as the second step after the password', { timeout: TIMEOUT },
    journey(current, 'security key', securityKey));
  test('i. an authenticator app added at /account/mfa, then a code and a recovery code at sign-in', { timeout: TIMEOUT },
    journey(current, 'totp', totp));

  test('gatehouse stops with exit 0 on SIGTERM, no errors in its log', { timeout: 60_000 },
    () => stack.stopAndCheck());
});
