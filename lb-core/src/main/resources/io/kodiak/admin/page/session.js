// The admin API call every part of the page uses, and the login session: what /v1/session says,
// and the CSRF token that only the login's answer carries (GET /v1/session never hands it out, so
// a stolen cookie alone cannot get it). No DOM here: node tests it (src/test/resources/.../page-tests).

/** A change gets this long for its answer; a Kodiak that accepts but never answers must not hang a button. */
export const CHANGE_TIMEOUT_MS = 10000;
/** /v1/session is asked at most this often, whatever asks (the expiry timer, refused polls, refused changes). */
export const RECHECK_MIN_MS = 10000;
/** sessionStorage key: per origin (host and port) and per tab, and it survives a reload of the page. */
export const CSRF_KEY = 'kodiak-csrf';

/**
 * One JSON call: same-origin credentials (the session cookie), never the HTTP cache. A change
 * carries the CSRF token and Content-Type: application/json, which a cross-site form cannot send.
 * Resolves {ok, status, data, headers}; rejects when the network fails or, with timeoutMs, when
 * no answer came in time (then with an error named TimeoutError).
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

export const errorOf = (r) => (r.data && r.data.error) || `HTTP ${r.status}`;

/** Why a call that threw got no answer, in words for #messages. */
export const noAnswer = (e, ms) => (e && e.name === 'TimeoutError'
  ? `no answer within ${Math.round(ms / 1000)} s` : 'Kodiak does not answer');

/** A 401 (no session any more) or a 403 about the CSRF token: the token the page holds is no good. */
export const csrfRefused = (r) => r.status === 401 || (r.status === 403 && /csrf/i.test(errorOf(r)));

/** sessionStorage, or a stand-in when the browser refuses it (storage disabled): then a reload asks for a login. */
function tabStorage() {
  try {
    const s = globalThis.sessionStorage;
    s.getItem(CSRF_KEY);
    return s;
  } catch {
    const m = new Map();
    return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => m.set(k, v), removeItem: (k) => m.delete(k) };
  }
}

/**
 * The session as the page sees it. The server's word (authenticated) is not enough to make changes:
 * the page also needs the CSRF token of that session, which it has only if this tab logged in.
 * loggedIn is both; a session without the token (a new tab) shows as read-only, and a login makes a
 * new session. opts: skewMs() (server clock - this clock), storage, timeoutMs, now().
 */
export class Session {
  constructor(onChange, opts = {}) {
    this.onChange = onChange;
    this.skewMs = opts.skewMs || (() => 0);
    this.storage = opts.storage || tabStorage();
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.now = opts.now || (() => Date.now());
    this.authenticated = false;
    this.readsOpen = true;
    this.csrf = this.storage.getItem(CSRF_KEY);
    this.expiresAt = null;
    this.supported = true;
    this.timer = null;
    this.checkedAt = -Infinity;
    this.startedAt = null;
  }

  get loggedIn() {
    return this.authenticated && !!this.csrf;
  }

  /**
   * Asks /v1/session (at most every RECHECK_MIN_MS unless force), within timeoutMs: a Kodiak that
   * does not answer leaves what we knew. Always resolves.
   */
  async refresh(force = false) {
    if (!force && this.now() - this.checkedAt < RECHECK_MIN_MS) return;
    this.checkedAt = this.now();
    try {
      const r = await api('GET', '/v1/session', undefined, null, this.timeoutMs);
      if (r.ok && r.data) this.take(r.data);
      else if (r.status === 404) this.supported = false; // a Kodiak without page sessions: reads still work
    } catch { /* offline or slow: keep what we knew; the status poll shows "reconnecting" */ }
    this.onChange(this);
  }

  /** The status's kodiak.started_at: a different one is a restarted Kodiak, whose sessions are gone. */
  noteStart(startedAt) {
    const restarted = this.startedAt != null && startedAt != null && startedAt !== this.startedAt;
    if (startedAt != null) this.startedAt = startedAt;
    if (restarted) this.refresh(true);
    return restarted;
  }

  take(d) {
    this.authenticated = !!d.authenticated;
    if ('reads_open' in d) this.readsOpen = !!d.reads_open;
    if (!this.authenticated) this.forgetCsrf();
    else if (d.csrf) this.keepCsrf(d.csrf);
    this.expiresAt = d.expires_at || null;
    clearTimeout(this.timer);
    const wait = this.recheckDelay();
    this.timer = wait == null ? null : setTimeout(() => this.refresh(true), wait);
  }

  /**
   * When to ask again so that the buttons do not outlive the session: when it runs out by the
   * server's clock (this one may be off by minutes), but never sooner than RECHECK_MIN_MS.
   */
  recheckDelay() {
    const left = this.expiresAt ? Date.parse(this.expiresAt) - (this.now() + this.skewMs()) : NaN;
    if (!this.authenticated || !isFinite(left)) return null;
    return Math.min(Math.max(left + 500, RECHECK_MIN_MS), 2 ** 31 - 1);
  }

  keepCsrf(token) {
    this.csrf = token;
    try { this.storage.setItem(CSRF_KEY, token); } catch { /* full or refused: this load keeps it in memory */ }
  }

  forgetCsrf() {
    this.csrf = null;
    try { this.storage.removeItem(CSRF_KEY); } catch { /* nothing to forget */ }
  }

  /** After a change was refused for its credentials: forget a token that no longer works and ask again. */
  denied(r) {
    if (csrfRefused(r)) {
      this.forgetCsrf();
      this.onChange(this);
    }
    this.refresh();
  }

  /** Resolves null when logged in, else the error to show. */
  async login(token) {
    let r;
    try {
      r = await api('POST', '/v1/session', { token }, null, CHANGE_TIMEOUT_MS);
    } catch (e) {
      return `${noAnswer(e, CHANGE_TIMEOUT_MS)}; try again.`.replace(/^./, (c) => c.toUpperCase());
    }
    if (r.ok && r.data) {
      this.checkedAt = this.now();
      this.take({ reads_open: this.readsOpen, ...r.data, authenticated: true });
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

  /**
   * Ends the session on the server. Resolves null when it ended (or had already: a 401/403 says the
   * cookie or token is no good any more), else why not: then the page stays logged in.
   */
  async logout() {
    let r;
    try {
      r = await api('DELETE', '/v1/session', {}, this.csrf, CHANGE_TIMEOUT_MS);
    } catch (e) {
      return `not logged out: ${noAnswer(e, CHANGE_TIMEOUT_MS)}.`;
    }
    if (!r.ok && !csrfRefused(r)) return `not logged out: ${errorOf(r)}.`;
    this.forgetCsrf();
    this.authenticated = false;
    await this.refresh(true);
    return null;
  }
}
