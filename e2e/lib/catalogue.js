// The hosted pages' strings, read from the same catalogues the server embeds
// (crates/web/locales/*.toml). Locators are built from them, so a reworded label does not break
// a journey, but a missing string, an empty label or a label not tied to its field does.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parse } from 'smol-toml';

const CRATES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../crates');

function flatten(prefix, table, into) {
  for (const [key, value] of Object.entries(table)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      flatten(name, value, into);
    } else {
      into.set(name, String(value));
    }
  }
  return into;
}

const loaded = new Map();

/**
 * The catalogue of `lang` ("en", "de") as a function `t(key, values)`: the pages' strings
 * (crate `web`) or, with `crate = 'mail'`, the messages' strings.
 */
export function catalogue(lang, crate = 'web') {
  const file = `crates/${crate}/locales/${lang}.toml`;
  if (!loaded.has(file)) {
    const source = readFileSync(path.join(CRATES, crate, 'locales', `${lang}.toml`), 'utf8');
    loaded.set(file, flatten('', parse(source), new Map()));
  }
  const strings = loaded.get(file);
  return (key, values = {}) => {
    const text = strings.get(key);
    if (text === undefined || text.trim() === '') {
      throw new Error(`${file} has no text for "${key}"`);
    }
    return Object.entries(values).reduce((acc, [name, value]) => acc.replaceAll(`{${name}}`, value), text);
  };
}

/** Escapes `text` for use inside a RegExp. */
export function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A RegExp matching exactly `text` (accessible names are whitespace-normalised). */
export function exactly(text) {
  return new RegExp(`^\\s*${escapeRegExp(text.trim())}\\s*$`);
}

/** A RegExp matching names that start with `text`. */
export function startingWith(text) {
  return new RegExp(`^\\s*${escapeRegExp(text.trim())}`);
}
