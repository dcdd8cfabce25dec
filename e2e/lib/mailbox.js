// A real SMTP listener (smtp-server) on a random local port: gatehouse's mail jobs deliver to it
// over plain SMTP (GATEHOUSE__EMAIL__SMTP__TLS=none), and journeys read what it received.

import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';

export class Mailbox {
  constructor() {
    this.messages = [];
    this.waiters = new Set();
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      size: 1024 * 1024,
      onData: (stream, session, callback) => {
        const recipients = session.envelope.rcptTo.map((rcpt) => rcpt.address.toLowerCase());
        simpleParser(stream)
          .then((parsed) => {
            this.messages.push({
              to: recipients,
              from: session.envelope.mailFrom && session.envelope.mailFrom.address,
              subject: parsed.subject || '',
              text: parsed.text || '',
              html: typeof parsed.html === 'string' ? parsed.html : '',
              headers: parsed.headers,
              taken: false,
            });
            for (const wake of this.waiters) wake();
            callback();
          })
          .catch(callback);
      },
    });
  }

  /** Starts listening on 127.0.0.1 and resolves to the port. */
  async start() {
    await new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', resolve);
    });
    this.port = this.server.server.address().port;
    return this.port;
  }

  async stop() {
    await new Promise((resolve) => this.server.close(resolve));
  }

  /**
   * The first message not yet taken that was sent to `to` and whose text satisfies `match`
   * (a RegExp or a predicate on the message), waiting up to `timeout` ms for it to arrive.
   * The message is marked taken so a later wait finds the next one.
   */
  async take(to, match = () => true, { timeout = 15_000 } = {}) {
    const address = to.toLowerCase();
    const test = match instanceof RegExp ? (message) => match.test(message.text) : match;
    const find = () => this.messages.find((m) => !m.taken && m.to.includes(address) && test(m));
    const deadline = Date.now() + timeout;
    for (;;) {
      const found = find();
      if (found) {
        found.taken = true;
        return found;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        const seen = this.messages
          .filter((m) => m.to.includes(address))
          .map((m) => `"${m.subject}"${m.taken ? ' (taken)' : ''}`);
        throw new Error(`no matching mail to ${to} within ${timeout} ms; mail to that address: ${seen.join(', ') || 'none'}`);
      }
      await new Promise((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, 250));
        this.waiters.add(wake);
      });
    }
  }

  /** Every message sent to `to` so far. */
  sentTo(to) {
    return this.messages.filter((m) => m.to.includes(to.toLowerCase()));
  }
}

/** The one link in `message` whose path is `pathname` (e.g. "/verify-email"), as a URL. */
export function linkIn(message, pathname) {
  const pattern = new RegExp(`https?://[^\\s"'<>]+${pathname.replace(/[/]/g, '\\/')}\\?token=[A-Za-z0-9_\\-%.~]+`, 'g');
  const links = [...new Set(message.text.match(pattern) || [])];
  if (links.length !== 1) {
    throw new Error(`expected one ${pathname} link in "${message.subject}", found ${links.length}:\n${message.text}`);
  }
  return new URL(links[0]);
}

/** The six-digit code in `message` (on a line of its own). */
export function codeIn(message) {
  const found = message.text.match(/^[ \t]*(\d{6})[ \t]*$/m);
  if (!found) {
    throw new Error(`no six-digit code on a line of its own in "${message.subject}":\n${message.text}`);
  }
  return found[1];
}
