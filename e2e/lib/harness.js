// The stack a test file drives (SMTP capture + gatehouse + Debian's Chromium) and the journey
// wrapper: fresh browser contexts per journey, CSP-violation and header watch on every page,
// and on failure a screenshot (and the HTML) of every open page under e2e/artifacts/.

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

import { catalogue } from './catalogue.js';
import { Mailbox } from './mailbox.js';
import { ARTIFACTS, Gatehouse } from './server.js';

export const CHROMIUM = process.env.E2E_CHROMIUM || '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** Launches Debian's Chromium (never a downloaded browser). Playwright gives each launch a
 *  fresh temporary user-data directory and removes it on close. */
export async function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}

/** SMTP capture, server and browser for one test file. */
export class Stack {
  constructor(name, { env = {} } = {}) {
    this.name = name;
    this.env = env;
    this.t = catalogue('en');
    this.de = catalogue('de');
    this.mail = catalogue('en', 'mail');
  }

  async start() {
    const started = Date.now();
    this.mailbox = new Mailbox();
    const smtpPort = await this.mailbox.start();
    this.server = new Gatehouse({ name: this.name, smtpPort, env: this.env });
    await this.server.start();
    this.browser = await launchBrowser();
    this.url = this.server.url;
    console.log(`# ${this.name}: gatehouse at ${this.url}, SMTP capture on 127.0.0.1:${smtpPort}, `
      + `Chromium ${this.browser.version()}, ready in ${Date.now() - started} ms`);
    return this;
  }

  /** Closes the browser, stops the server with SIGTERM and the SMTP capture; returns the
   *  server's exit. */
  async stop() {
    this.stopping ??= (async () => {
      if (this.browser) await this.browser.close().catch(() => {});
      const exit = this.server ? await this.server.stop() : null;
      if (this.mailbox) await this.mailbox.stop().catch(() => {});
      return exit;
    })();
    return this.stopping;
  }

  /** Stops everything and checks the server's exit and log (the last test of a file). */
  async stopAndCheck() {
    const exit = await this.stop();
    assert.deepEqual(exit, { code: 0, signal: null }, `gatehouse exits 0 on SIGTERM; log: ${this.server.logPath}`);
    assert.deepEqual(this.server.complaints(), [], `no errors in the server log (${this.server.logPath})`);
  }
}

function slug(text) {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
}

/** What one journey has open, and what it saw going wrong on the way. */
export class Journey {
  constructor(stack, name) {
    this.stack = stack;
    this.name = name;
    this.t = stack.t;
    this.de = stack.de;
    this.mailT = stack.mail;
    this.mailbox = stack.mailbox;
    this.url = stack.url;
    this.contexts = [];
    this.problems = [];
    this.secrets = new Set();
  }

  /** Remembers a value that must never appear in the server's log. */
  secret(value) {
    if (value) this.secrets.add(value);
    return value;
  }

  /** A new, separate browser context (its own cookies), English unless `locale` is given. */
  async newContext(options = {}) {
    const context = await this.stack.browser.newContext({
      baseURL: this.url,
      locale: 'en-GB',
      viewport: { width: 1000, height: 900 },
      ...options,
    });
    context.setDefaultTimeout(10_000);
    context.setDefaultNavigationTimeout(15_000);
    context.on('page', (page) => this.watch(page));
    this.contexts.push(context);
    return context;
  }

  /** A new page in a new context. */
  async newPage(options = {}) {
    const context = await this.newContext(options);
    return context.newPage();
  }

  watch(page) {
    page.on('console', (message) => {
      const text = message.text();
      if (/Content Security Policy|Refused to (execute|apply|load)/i.test(text)) {
        this.problems.push(`CSP violation on ${page.url()}: ${text}`);
      }
    });
    page.on('pageerror', (error) => this.problems.push(`script error on ${page.url()}: ${error.message}`));
    page.on('response', (response) => {
      const request = response.request();
      if (request.resourceType() !== 'document' || !response.url().startsWith(this.url)) return;
      const headers = response.headers();
      const csp = headers['content-security-policy'] || '';
      const where = `${request.method()} ${new URL(response.url()).pathname} (${response.status()})`;
      for (const directive of ["object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"]) {
        if (!csp.includes(directive)) this.problems.push(`${where}: CSP lacks ${directive}: "${csp}"`);
      }
      if (/script-src[^;]*'unsafe-inline'/.test(csp)) this.problems.push(`${where}: CSP allows inline script`);
      if (headers['x-content-type-options'] !== 'nosniff') this.problems.push(`${where}: no X-Content-Type-Options: nosniff`);
      if (!headers['referrer-policy']) this.problems.push(`${where}: no Referrer-Policy`);
    });
  }

  /** Screenshots (and HTML) of every open page; returns the files written. */
  async capture() {
    mkdirSync(ARTIFACTS, { recursive: true });
    const files = [];
    let index = 0;
    for (const context of this.contexts) {
      for (const page of context.pages()) {
        index += 1;
        const base = path.join(ARTIFACTS, `${slug(this.stack.name)}-${slug(this.name)}-${index}`);
        try {
          await page.screenshot({ path: `${base}.png`, fullPage: true, timeout: 5_000 });
          files.push(`${base}.png`);
          writeFileSync(`${base}.html`, `<!-- ${page.url()} -->\n${await page.content()}`);
        } catch (error) {
          files.push(`${base}.png (failed: ${error.message.split('\n')[0]})`);
        }
      }
    }
    return files;
  }

  async close() {
    for (const context of this.contexts) await context.close().catch(() => {});
    this.contexts = [];
  }
}

/**
 * Wraps a journey for `node:test`: runs `body(journey)`, then checks that no page broke the
 * CSP or missed a security header and that no secret of the journey reached the server log.
 * On failure prints which journey failed and where its screenshots are.
 */
export function journey(getStack, name, body) {
  return async () => {
    const stack = getStack();
    const j = new Journey(stack, name);
    const started = Date.now();
    try {
      await body(j);
      assert.deepEqual(j.problems, [], 'pages broke the CSP, threw, or lacked security headers');
      const leaked = [...j.secrets].filter((secret) => stack.server.log.includes(secret));
      assert.deepEqual(leaked, [], 'secrets of this journey appear in the server log');
      console.log(`# journey "${name}" passed in ${Date.now() - started} ms`);
    } catch (error) {
      const files = await j.capture();
      console.error(`\nJOURNEY FAILED: ${stack.name} / ${name} after ${Date.now() - started} ms`);
      console.error(`  ${String(error.message).split('\n').join('\n  ')}`);
      for (const file of files) console.error(`  screenshot: ${file}`);
      console.error(`  server log: ${stack.server.logPath}\n  last server lines:\n${stack.server.tail(15)}`);
      throw error;
    } finally {
      await j.close();
    }
  };
}
