// Starts and stops a real `gatehouse serve` for the journeys: fresh data directory (SQLite) or
// a fresh PostgreSQL database, mail to the local SMTP capture, fast job polling.

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const E2E_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ARTIFACTS = path.join(E2E_DIR, 'artifacts');

/** The gatehouse binary: $GATEHOUSE_BIN, else ${CARGO_TARGET_DIR:-target}/debug/gatehouse. */
export function gatehouseBinary() {
  if (process.env.GATEHOUSE_BIN) return process.env.GATEHOUSE_BIN;
  const target = process.env.CARGO_TARGET_DIR || 'target';
  return path.resolve(E2E_DIR, '..', target, 'debug', 'gatehouse');
}

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** The environment without anything that could point gatehouse elsewhere. */
function cleanEnvironment() {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key === 'DATABASE_URL' || key.startsWith('GATEHOUSE_')) continue;
    env[key] = value;
  }
  return env;
}

function psql(adminUrl, sql) {
  const result = spawnSync('psql', [adminUrl, '-v', 'ON_ERROR_STOP=1', '-q', '-c', sql], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (result.error || result.status !== 0) {
    throw new Error(`psql failed (${sql}): ${result.error || result.stderr}`);
  }
}

/** Creates a fresh database next to the one `adminUrl` names; returns its URL and a dropper. */
export function createPostgresDatabase(adminUrl) {
  const name = `gatehouse_test_e2e_${randomBytes(6).toString('hex')}`;
  psql(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    // DROP DATABASE waits for a checkpoint (seconds on a slow disk), so it runs on in the
    // background; a database left behind is removed by scripts/test's sweep of gatehouse_test_*.
    drop: () => {
      const child = spawn('psql', [adminUrl, '-q', '-c', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`], {
        detached: true,
        stdio: 'ignore',
      });
      child.on('error', () => {});
      child.unref();
    },
  };
}

/** A new master key from `gatehouse keys generate-master`. */
export function generateMasterKey() {
  const result = spawnSync(gatehouseBinary(), ['keys', 'generate-master'], {
    encoding: 'utf8',
    env: cleanEnvironment(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (result.error || result.status !== 0) {
    throw new Error(`gatehouse keys generate-master failed: ${result.error || result.stderr}`);
  }
  return result.stdout.trim();
}

export class Gatehouse {
  /**
   * @param {object} options
   * @param {string} options.name         label for the log file (artifacts/<name>-server.log)
   * @param {number} options.smtpPort     where mail goes
   * @param {object} [options.env]        extra environment (DATABASE_URL, master key, …)
   */
  constructor({ name, smtpPort, env = {} }) {
    this.name = name;
    this.smtpPort = smtpPort;
    this.extraEnv = env;
    this.log = '';
  }

  async start() {
    this.port = await freePort();
    // `localhost`, not 127.0.0.1: browsers accept `__Host-`/Secure cookies over plain http only
    // on localhost, which they treat as a secure context.
    this.url = `http://localhost:${this.port}`;
    this.dataDir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-e2e-'));
    mkdirSync(ARTIFACTS, { recursive: true });
    this.logPath = path.join(ARTIFACTS, `${this.name}-server.log`);
    const logFile = createWriteStream(this.logPath);
    const env = {
      ...cleanEnvironment(),
      GATEHOUSE__EMAIL__SMTP__HOST: '127.0.0.1',
      GATEHOUSE__EMAIL__SMTP__PORT: String(this.smtpPort),
      GATEHOUSE__EMAIL__SMTP__TLS: 'none',
      GATEHOUSE__JOBS__POLL_INTERVAL_MS: '50',
      GATEHOUSE__HTTP__SHUTDOWN_GRACE_SECS: '10',
      GATEHOUSE__LOG__FORMAT: 'pretty',
      GATEHOUSE__LOG__LEVEL: 'info',
      NO_COLOR: '1',
      ...this.extraEnv,
    };
    const args = [
      'serve',
      '--data-dir', this.dataDir,
      '--listen', `127.0.0.1:${this.port}`,
      '--public-url', this.url,
    ];
    this.child = spawn(gatehouseBinary(), args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        logFile.end();
        resolve(this.exit);
      });
    });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        this.log += chunk;
        logFile.write(chunk);
      });
    }
    this.child.once('error', (error) => {
      this.log += `\nspawn failed: ${error}\n`;
    });
    await this.waitUntilReady();
    return this;
  }

  async waitUntilReady(timeout = 60_000) {
    const deadline = Date.now() + timeout;
    while (Date.now() < deadline) {
      if (this.exit) {
        throw new Error(`gatehouse exited (${JSON.stringify(this.exit)}) before it was ready:\n${this.tail()}`);
      }
      try {
        const response = await fetch(`http://127.0.0.1:${this.port}/readyz`, { signal: AbortSignal.timeout(2_000) });
        if (response.status === 200) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`gatehouse did not answer /readyz with 200 within ${timeout} ms:\n${this.tail()}`);
  }

  /**
   * Runs `gatehouse ARGS… --data-dir <this server's>` on the running instance (the CLI works
   * while the server runs) with the server's environment plus `env`; `input` goes to stdin.
   * Resolves to stdout; a non-zero exit rejects with the command's stderr.
   */
  async cli(args, { input = '', env = {} } = {}) {
    const child = spawn(gatehouseBinary(), [...args, '--data-dir', this.dataDir], {
      env: { ...cleanEnvironment(), ...this.extraEnv, NO_COLOR: '1', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => { stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk) => { stderr += chunk; });
    child.stdin.end(input);
    const [code, error] = await new Promise((resolve) => {
      child.once('error', (spawnError) => resolve([null, spawnError]));
      child.once('close', (exitCode) => resolve([exitCode, null]));
    });
    if (error || code !== 0) {
      throw new Error(`gatehouse ${args[0]} ${args[1] || ''} failed (exit ${code}): ${error || stderr.trim()}`);
    }
    return stdout;
  }

  /** Log lines that point at a fault: errors, panics, strings missing from a catalogue. */
  complaints() {
    return this.log.split('\n').filter((line) => / ERROR |panicked|missing catalogue string/.test(line));
  }

  /** The last lines of the server's output. */
  tail(lines = 30) {
    return this.log.split('\n').slice(-lines).join('\n');
  }

  /** Sends SIGTERM and resolves to {code, signal} once the process has exited. */
  async stop(timeout = 30_000) {
    if (!this.child) return { code: null, signal: null };
    if (!this.exit) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (!this.exit) this.child.kill('SIGKILL');
      }, timeout);
      await this.exited;
      clearTimeout(timer);
    }
    rmSync(this.dataDir, { recursive: true, force: true });
    return this.exit;
  }
}
