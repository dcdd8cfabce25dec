// Gatehouse: the WebAuthn ceremonies of the hosted pages (security keys and passkeys).
// Plain ES2020, no build step, no dependencies; the CSP allows no inline script, so the pages
// only carry hooks:
//   <form data-webauthn-register>        add a passkey or security key (<input name="name">,
//                                        submit buttons name="kind" value="passkey|security_key")
//   <button data-webauthn-authenticate>  the second step of a sign-in or step-up
//   <button data-webauthn-passkey>       sign in with a passkey (plus the browser's autofill
//                                        when an input has autocomplete="… webauthn")
//   <button data-webauthn-step-up>       confirm it is you with a passkey alone
//   [data-webauthn-error]                where a failure is shown (role=alert, hidden until used)
// Every POST carries the page's CSRF token (input[name="csrf_token"]) as X-CSRF-Token. The
// server keeps each ceremony's state; the browser only passes options and results through.
(() => {
  'use strict';

  const FALLBACK = {
    en: 'The security key or passkey was not accepted. Try again.',
    de: 'Der Sicherheitsschlüssel oder Passkey wurde nicht angenommen. Versuchen Sie es erneut.',
  };
  const UNSUPPORTED = {
    en: 'This browser cannot use security keys or passkeys.',
    de: 'Dieser Browser kann keine Sicherheitsschlüssel oder Passkeys verwenden.',
  };

  function text(table) {
    const lang = (document.documentElement.lang || 'en').slice(0, 2).toLowerCase();
    return table[lang] || table.en;
  }

  // ---- base64url <-> ArrayBuffer -------------------------------------------------------------

  function toBuffer(value) {
    const base64 = value.replace(/-/g, '+').replace(/_/g, '/');
    const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
    const binary = atob(padded);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    const bytes = new Uint8Array(buffer);
    let binary = '';
    for (let i = 0; i < bytes.length; i += 1) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function withIds(descriptors) {
    return (descriptors || []).map((descriptor) => ({ ...descriptor, id: toBuffer(descriptor.id) }));
  }

  /** Options for navigator.credentials.create() from the server's JSON. */
  function creationOptions(json) {
    const publicKey = { ...json.publicKey };
    publicKey.challenge = toBuffer(publicKey.challenge);
    publicKey.user = { ...publicKey.user, id: toBuffer(publicKey.user.id) };
    if (publicKey.excludeCredentials) publicKey.excludeCredentials = withIds(publicKey.excludeCredentials);
    return { publicKey };
  }

  /** Options for navigator.credentials.get() from the server's JSON (mediation left out). */
  function requestOptions(json) {
    const publicKey = { ...json.publicKey };
    publicKey.challenge = toBuffer(publicKey.challenge);
    if (publicKey.allowCredentials) publicKey.allowCredentials = withIds(publicKey.allowCredentials);
    return { publicKey };
  }

  /** The client extension results the server understands. */
  function extensionResults(credential) {
    const results = typeof credential.getClientExtensionResults === 'function'
      ? credential.getClientExtensionResults() : {};
    const out = {};
    if (results.credProps && typeof results.credProps.rk === 'boolean') out.credProps = { rk: results.credProps.rk };
    if (typeof results.appid === 'boolean') out.appid = results.appid;
    return out;
  }

  /** A created credential as JSON. */
  function attestationJson(credential) {
    const response = credential.response;
    const json = {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      response: {
        attestationObject: toBase64url(response.attestationObject),
        clientDataJSON: toBase64url(response.clientDataJSON),
      },
      clientExtensionResults: extensionResults(credential),
    };
    if (typeof response.getTransports === 'function') json.response.transports = response.getTransports();
    return json;
  }

  /** An assertion as JSON. */
  function assertionJson(credential) {
    const response = credential.response;
    return {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      response: {
        authenticatorData: toBase64url(response.authenticatorData),
        clientDataJSON: toBase64url(response.clientDataJSON),
        signature: toBase64url(response.signature),
        userHandle: response.userHandle ? toBase64url(response.userHandle) : null,
      },
      clientExtensionResults: extensionResults(credential),
    };
  }

  // ---- talking to the server -----------------------------------------------------------------

  class Problem extends Error {
    constructor(status, body) {
      const message = (body && body.errors && body.errors[0] && body.errors[0].message)
        || (body && body.detail) || text(FALLBACK);
      super(message);
      this.status = status;
      this.code = body && body.code;
    }
  }

  function csrfToken() {
    const input = document.querySelector('input[name="csrf_token"]');
    return input ? input.value : '';
  }

  function nextPath() {
    const input = document.querySelector('input[name="next"]');
    return input && input.value ? input.value : undefined;
  }

  async function post(path, body) {
    const response = await fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: {
        Accept: 'application/json, application/problem+json',
        'Content-Type': 'application/json',
        'X-CSRF-Token': csrfToken(),
      },
      body: JSON.stringify(body || {}),
    });
    let json = null;
    try {
      json = await response.json();
    } catch {
      json = null;
    }
    if (!response.ok) throw new Problem(response.status, json);
    return json;
  }

  /** Only same-site paths are followed (the server checks too). */
  function go(target) {
    const path = typeof target === 'string' && target.startsWith('/') && !target.startsWith('//')
      && !target.includes('\\') ? target : '/account';
    window.location.assign(path);
  }

  // ---- showing failures ----------------------------------------------------------------------

  function errorElement(origin) {
    const scope = origin.closest('form, [data-webauthn-scope], div, section') || document;
    return scope.querySelector('[data-webauthn-error]') || document.querySelector('[data-webauthn-error]');
  }

  function clearError(origin) {
    const element = errorElement(origin);
    if (element) {
      element.textContent = '';
      element.hidden = true;
    }
  }

  function showError(origin, error) {
    // Browser-side failures (cancelled, timed out, a key already registered) get the generic
    // message; the server's answers carry their own.
    const message = error instanceof Problem ? error.message : text(FALLBACK);
    const element = errorElement(origin);
    if (element) {
      element.textContent = message;
      element.hidden = false;
      if (!element.hasAttribute('role')) element.setAttribute('role', 'alert');
    } else {
      window.alert(message);
    }
  }

  /** Follows what a failure asks for: confirm it is you first, or start again. True if handled. */
  function followProblem(error) {
    if (!(error instanceof Problem)) return false;
    if (error.code === 'step_up_required') {
      const here = window.location.pathname + window.location.search;
      go(`/confirm-identity?next=${encodeURIComponent(here)}`);
      return true;
    }
    if (error.code === 'challenge_expired' && document.querySelector('[data-webauthn-authenticate]')) {
      // The page itself knows where to start again.
      window.location.reload();
      return true;
    }
    return false;
  }

  /** Runs `ceremony` for `origin` (a button or form): busy while it runs, failures shown. */
  async function run(origin, buttons, ceremony) {
    if (origin.dataset.webauthnBusy === '1') return;
    origin.dataset.webauthnBusy = '1';
    buttons.forEach((button) => { button.disabled = true; });
    clearError(origin);
    try {
      await ceremony();
    } catch (error) {
      if (!followProblem(error)) showError(origin, error);
    } finally {
      delete origin.dataset.webauthnBusy;
      buttons.forEach((button) => { button.disabled = false; });
    }
  }

  const supported = typeof window.PublicKeyCredential === 'function'
    && navigator.credentials && typeof navigator.credentials.create === 'function';

  // ---- registration --------------------------------------------------------------------------

  function showRecoveryCodes(form, answer) {
    const main = form.closest('main') || document.body;
    const heading = document.createElement('h1');
    heading.textContent = answer.text.title;
    heading.tabIndex = -1;
    const intro = document.createElement('p');
    intro.textContent = answer.text.intro;
    const list = document.createElement('ol');
    list.className = 'recovery-codes';
    list.setAttribute('data-recovery-codes', '');
    for (const code of answer.recovery_codes) {
      const item = document.createElement('li');
      const element = document.createElement('code');
      element.textContent = code;
      item.appendChild(element);
      list.appendChild(item);
    }
    const next = document.createElement('button');
    next.type = 'button';
    next.className = 'button';
    next.textContent = answer.text.continue;
    next.addEventListener('click', () => go(answer.redirect));
    main.replaceChildren(heading, intro, list, next);
    heading.focus();
  }

  function bindRegistration(form) {
    const buttons = Array.from(form.querySelectorAll('button[type="submit"], button:not([type])'));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const submitter = event.submitter || buttons[0];
      if (!supported) {
        showError(form, new Problem(0, { detail: text(UNSUPPORTED) }));
        return;
      }
      const kind = submitter && submitter.name === 'kind' ? submitter.value : 'security_key';
      const nameInput = form.querySelector('input[name="name"]');
      const name = nameInput ? nameInput.value : '';
      run(form, buttons, async () => {
        const options = await post('/webauthn/register/start', { kind, name });
        const credential = await navigator.credentials.create(creationOptions(options));
        const answer = await post('/webauthn/register/finish', { credential: attestationJson(credential) });
        if (answer && Array.isArray(answer.recovery_codes) && answer.text) {
          showRecoveryCodes(form, answer);
        } else if (answer && answer.redirect) {
          go(answer.redirect);
        } else {
          window.location.reload();
        }
      });
    });
  }

  // ---- authentication ------------------------------------------------------------------------

  /** The second step of a sign-in or step-up (the challenge cookie names it). */
  function bindAuthenticate(button) {
    button.addEventListener('click', () => {
      if (!supported) {
        showError(button, new Problem(0, { detail: text(UNSUPPORTED) }));
        return;
      }
      run(button, [button], async () => {
        const options = await post('/webauthn/authenticate/start');
        const credential = await navigator.credentials.get(requestOptions(options));
        const answer = await post('/webauthn/authenticate/finish', {
          credential: assertionJson(credential),
          next: nextPath(),
        });
        go(answer.redirect);
      });
    });
  }

  /** Confirming it is you with a passkey alone. */
  function bindStepUp(button) {
    button.addEventListener('click', () => {
      if (!supported) {
        showError(button, new Problem(0, { detail: text(UNSUPPORTED) }));
        return;
      }
      run(button, [button], async () => {
        const options = await post('/webauthn/step-up/start');
        const credential = await navigator.credentials.get(requestOptions(options));
        const answer = await post('/webauthn/step-up/finish', {
          credential: assertionJson(credential),
          next: nextPath(),
        });
        go(answer.redirect);
      });
    });
  }

  // Passwordless sign-in: the browser's autofill (conditional mediation) waits in the
  // background from page load; the button aborts it and asks at once.
  let conditional = null;
  let conditionalStarts = 0;

  function abortConditional() {
    if (conditional) {
      conditional.abort();
      conditional = null;
    }
  }

  async function finishPasskey(credential) {
    const answer = await post('/webauthn/passkey/finish', {
      credential: assertionJson(credential),
      next: nextPath(),
    });
    go(answer.redirect);
  }

  function bindPasskey(button) {
    button.addEventListener('click', () => {
      if (!supported) {
        showError(button, new Problem(0, { detail: text(UNSUPPORTED) }));
        return;
      }
      run(button, [button], async () => {
        abortConditional();
        const options = await post('/webauthn/passkey/start');
        const credential = await navigator.credentials.get(requestOptions(options));
        await finishPasskey(credential);
      });
    });
  }

  async function startConditional() {
    if (!supported || typeof PublicKeyCredential.isConditionalMediationAvailable !== 'function') return;
    if (!document.querySelector('input[autocomplete~="webauthn"]')) return;
    let available = false;
    try {
      available = await PublicKeyCredential.isConditionalMediationAvailable();
    } catch {
      available = false;
    }
    if (!available || conditionalStarts >= 5) return;
    conditionalStarts += 1;
    const controller = new AbortController();
    conditional = controller;
    let credential;
    try {
      const options = await post('/webauthn/passkey/start');
      if (controller.signal.aborted) return;
      credential = await navigator.credentials.get({
        ...requestOptions(options),
        mediation: 'conditional',
        signal: controller.signal,
      });
    } catch {
      // Unavailable on this server, aborted for the button, or dismissed: nothing to say.
      return;
    } finally {
      if (conditional === controller) conditional = null;
    }
    if (!credential) return;
    const origin = document.querySelector('[data-webauthn-passkey]')
      || document.querySelector('input[autocomplete~="webauthn"]');
    try {
      await finishPasskey(credential);
    } catch (error) {
      showError(origin, error);
      // Each request is answered once: offer the autofill again for the next try.
      startConditional();
    }
  }

  function start() {
    document.querySelectorAll('form[data-webauthn-register]').forEach(bindRegistration);
    document.querySelectorAll('[data-webauthn-authenticate]').forEach(bindAuthenticate);
    document.querySelectorAll('[data-webauthn-step-up]').forEach(bindStepUp);
    document.querySelectorAll('[data-webauthn-passkey]').forEach(bindPasskey);
    startConditional();
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
