// One smoke journey against `gatehouse serve` on PostgreSQL, when E2E_POSTGRES_URL names a
// server to create a fresh database on (e2e/run sets it when PostgreSQL answers locally).

import { after, before, describe, test } from 'node:test';

import { Stack, journey } from '../lib/harness.js';
import { createPostgresDatabase, generateMasterKey } from '../lib/server.js';
import smoke from '../journeys/smoke.js';

const adminUrl = process.env.E2E_POSTGRES_URL;

describe('gatehouse on PostgreSQL in Chromium', {
  skip: adminUrl ? false : 'E2E_POSTGRES_URL is not set',
  timeout: 5 * 60_000,
}, () => {
  let stack;
  let database;

  before(async () => {
    database = createPostgresDatabase(adminUrl);
    stack = new Stack('postgres', {
      env: { DATABASE_URL: database.url, GATEHOUSE__SECRETS__MASTER_KEY: generateMasterKey() },
    });
    await stack.start();
  }, { timeout: 120_000 });

  after(async () => {
    await stack?.stop();
    database?.drop();
  }, { timeout: 60_000 });

  test('sign up, verify, sign in, sign out', { timeout: 90_000 }, journey(() => stack, 'smoke', smoke));

  test('gatehouse stops with exit 0 on SIGTERM, no errors in its log', { timeout: 60_000 },
    () => stack.stopAndCheck());
});
