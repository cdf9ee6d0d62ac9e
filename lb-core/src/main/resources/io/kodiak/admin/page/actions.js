// The session (login with the admin token, its CSRF token) and the changes the page makes:
// drain, maint, ready, weight and wait-until-drained, each after a confirmation. They go
// through the same admin API as `kodiak ctl`; the page adds nothing the API does not check.

import { duration } from './format.js';

const $ = (id) => document.getElementById(id);

/**
 * One JSON call: same-origin credentials (the session cookie), never the HTTP cache. A change
 * carries the CSRF token and Content-Type: application/json, which a cross-site form cannot send.
 * Resolves {ok, status, data, headers}; rejects when the network fails or, with timeoutMs, when
 * no answer came in time (a Kodiak that accepts but never answers must not stall the polls).
 */
export async function api(method, path, body, csrf, timeoutMs) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (timeoutMs) init.signal = AbortSignal.timeout(timeoutMs);
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (csrf) headers['X-Kodiak-CSRF'] = csrf;
  const res = await fetch(path, init);
  let data = null;
  try { data = await res.json(); } catch { /* a proxy's HTML error page: keep the status */ }
  return { ok: res.ok, status: res.status, data, headers: res.headers };
}

const errorOf = (r) => (r.data && r.data.error) || `HTTP ${r.status}`;

/**
 * What /v1/session says. The CSRF token lives in this object only (never in web storage): a
 * reload of the page asks the server again, which hands it out only to the HttpOnly cookie.
 */
export class Session {
  constructor(onChange) {
    this.onChange = onChange;
    this.authenticated = false;
    this.readsOpen = true;
    this.csrf = null;
    this.expiresAt = null;
    this.supported = true;
    this.timer = null;
  }

  async refresh() {
    try {
      const r = await api('GET', '/v1/session');
      if (r.ok && r.data) this.take(r.data);
      else if (r.status === 404) this.supported = false; // a Kodiak without page sessions: reads still work
    } catch { /* offline: keep what we knew; the status poll shows "reconnecting" */ }
    this.onChange(this);
  }

  take(d) {
    this.authenticated = !!d.authenticated;
    if ('reads_open' in d) this.readsOpen = !!d.reads_open;
    this.csrf = d.authenticated ? d.csrf || null : null;
    this.expiresAt = d.expires_at || null;
    clearTimeout(this.timer);
    const left = this.expiresAt ? Date.parse(this.expiresAt) - Date.now() : NaN;
    if (this.authenticated && isFinite(left)) { // ask again when it runs out, so the buttons do not lie
      this.timer = setTimeout(() => this.refresh(), Math.min(Math.max(left, 0) + 500, 2 ** 31 - 1));
    }
  }

  /** Resolves null when logged in, else the error to show. */
  async login(token) {
    let r;
    try {
      r = await api('POST', '/v1/session', { token });
    } catch {
      return 'Kodiak does not answer; try again.';
    }
    if (r.ok && r.data) {
      this.take({ reads_open: this.readsOpen, ...r.data });
      this.onChange(this);
      return null;
    }
    if (r.status === 429) {
      const wait = r.headers.get('Retry-After');
      return `Too many wrong tokens from here; try again${wait ? ` in ${wait} s` : ' later'}.`;
    }
    if (r.status === 404) return 'This Kodiak has no page login; use kodiak ctl.';
    return r.status === 403 ? 'Wrong token.' : errorOf(r);
  }

  async logout() {
    try {
      await api('DELETE', '/v1/session', {}, this.csrf);
    } finally {
      this.authenticated = false;
      this.csrf = null;
      await this.refresh();
    }
  }
}

/** The login dialog: opened by the button, or first thing when reads need a login. */
export function wireLogin(session, say) {
  const dialog = $('login');
  const form = $('login-form');
  const input = $('login-token');
  const error = $('login-error');
  $('login-open').addEventListener('click', () => openLogin());
  $('login-cancel').addEventListener('click', () => dialog.close());
  $('logout').addEventListener('click', async () => {
    await session.logout();
    say('Logged out.');
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault(); // the CSP's form-action 'none' forbids a real submission, and none is wanted
    error.textContent = '';
    const problem = await session.login(input.value);
    if (problem) {
      error.textContent = problem;
      input.select();
      return;
    }
    input.value = '';
    dialog.close();
    say('Logged in.');
  });
  function openLogin() {
    error.textContent = '';
    if (!dialog.open) dialog.showModal();
    input.focus();
  }
  return openLogin;
}

/** The confirmation dialog as a promise: {weight, wait} when confirmed, null when cancelled. */
function confirmDialog({ text, weight, wait }) {
  const dialog = $('confirm');
  const form = $('confirm-form');
  $('confirm-text').textContent = text;
  $('confirm-weight-row').hidden = weight === undefined;
  $('confirm-wait-row').hidden = !wait;
  $('confirm-wait').checked = true;
  const w = $('confirm-weight');
  w.value = weight ?? '';
  dialog.showModal();
  (weight !== undefined ? w : $('confirm-ok')).focus();
  return new Promise((resolve) => {
    const done = (value) => {
      form.removeEventListener('submit', onSubmit);
      $('confirm-cancel').removeEventListener('click', onCancel);
      dialog.removeEventListener('close', onCancel);
      if (dialog.open) dialog.close();
      resolve(value);
    };
    const onSubmit = (e) => {
      e.preventDefault();
      if (!w.closest('[hidden]') && !w.checkValidity()) { w.reportValidity(); return; }
      done({ weight: w.value === '' ? null : Number(w.value), wait: $('confirm-wait').checked });
    };
    const onCancel = () => done(null);
    form.addEventListener('submit', onSubmit);
    $('confirm-cancel').addEventListener('click', onCancel);
    dialog.addEventListener('close', onCancel); // Escape
  });
}

const WORDS = {
  drain: (k) => `Drain ${k}? It gets no new requests; those in flight finish.`,
  maint: (k) => `Put ${k} in maintenance? It gets no new requests and no health checks; those in flight finish.`,
  ready: (k) => `Make ${k} ready? It takes requests again once its health check passes.`,
  weight: (k) => `New weight for ${k}:`,
};

/**
 * Runs the row buttons. ctx: session, say(text), waits and drained (Maps the table reads),
 * changed() to redraw now and poll soon, onDenied() after a 401/403.
 */
export function makeActions(ctx) {
  const base = (u) => `/v1/pools/${encodeURIComponent(u.pool)}/upstreams/${encodeURIComponent(u.name)}`;

  async function post(u, what, body) {
    let r;
    try {
      r = await api('POST', `${base(u)}/${what}`, body, ctx.session.csrf);
    } catch {
      ctx.say(`${u.pool}/${u.name}: ${what} not sent: Kodiak does not answer.`, true);
      return null;
    }
    if (r.ok) return r.data || {};
    ctx.say(`${u.pool}/${u.name}: ${what} refused: ${errorOf(r)}`, true);
    if (r.status === 401 || r.status === 403) ctx.onDenied();
    return null;
  }

  /** Holds /wait-drained; the row shows the progress from the status polls meanwhile. */
  async function waitDrained(u, key) {
    ctx.waits.set(key, { started: Date.now() });
    ctx.drained.delete(key);
    ctx.changed();
    const d = await post(u, 'wait-drained', { timeout: '5m' });
    ctx.waits.delete(key);
    if (d) {
      const took = duration(d.waited_ms);
      if (d.drained) {
        ctx.drained.set(key, `drained in ${took}`);
        ctx.say(`${key} drained in ${took}.`);
      } else {
        ctx.say(`${key} still ${d.in_flight} in flight after ${took}.`, true);
      }
    }
    ctx.changed();
  }

  return async function run(action, u) {
    const key = `${u.pool}/${u.name}`;
    const drains = action === 'drain' || action === 'maint';
    const answer = await confirmDialog({
      text: WORDS[action](key),
      weight: action === 'weight' ? u.weight : undefined,
      wait: drains,
    });
    if (!answer) return;
    if (action === 'weight') {
      const d = await post(u, 'weight', { weight: answer.weight });
      if (d) ctx.say(`${key}: weight ${d.weight ?? answer.weight ?? 'configured'}${shared(d)}.`);
      ctx.changed();
      return;
    }
    const d = await post(u, 'state', { state: action });
    if (!d) return;
    ctx.say(`${key}: ${action}, now ${d.state || action.toUpperCase()}${shared(d)}.`);
    ctx.changed();
    if (drains && answer.wait) await waitDrained(u, key);
  };
}

/** A peer instance that did not take the change is worth a word. */
const shared = (d) => (d.shared && d.shared !== 'ok' ? ` (shared: ${d.shared})` : '');
