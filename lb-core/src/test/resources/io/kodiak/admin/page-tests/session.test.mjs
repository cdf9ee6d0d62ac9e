// The page's session (session.js) under node: where the CSRF token lives, when /v1/session is
// asked, and that no call to it or to DELETE can hang or fail without saying so.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fakeFetch, hangingFetch, fakeStorage } from './fakes.mjs';
import { Session, CSRF_KEY, RECHECK_MIN_MS } from '../page/session.js';

const ISO_LATER = (ms) => new Date(Date.now() + ms).toISOString();

function make(opts = {}) {
  const changes = [];
  const s = new Session((x) => changes.push(x.loggedIn), { storage: fakeStorage(), ...opts });
  return { s, changes };
}

test('the login keeps its CSRF token in sessionStorage, and a reload of the page finds it', async () => {
  const storage = fakeStorage();
  fakeFetch((m) => (m === 'POST'
    ? { status: 200, data: { authenticated: true, csrf: 'c-1', expires_at: ISO_LATER(3600e3) } }
    : { status: 200, data: { authenticated: true, reads_open: true, expires_at: ISO_LATER(3600e3) } }));
  const first = new Session(() => {}, { storage });
  assert.equal(await first.login('tok'), null);
  assert.equal(storage.getItem(CSRF_KEY), 'c-1');
  assert.ok(first.loggedIn);
  clearTimeout(first.timer);

  const reloaded = new Session(() => {}, { storage }); // GET /v1/session carries no csrf any more
  await reloaded.refresh(true);
  assert.equal(reloaded.csrf, 'c-1');
  assert.ok(reloaded.loggedIn);
  clearTimeout(reloaded.timer);
});

test('a session this tab has no CSRF token for (a new tab) is not logged in for the page', async () => {
  fakeFetch(() => ({ status: 200, data: { authenticated: true, reads_open: true, expires_at: ISO_LATER(3600e3) } }));
  const { s } = make();
  await s.refresh(true);
  assert.equal(s.authenticated, true);
  assert.equal(s.loggedIn, false);
  clearTimeout(s.timer);
});

test('a server that says not authenticated clears the stored token', async () => {
  const storage = fakeStorage();
  storage.setItem(CSRF_KEY, 'old');
  fakeFetch(() => ({ status: 200, data: { authenticated: false, reads_open: true, expires_at: null } }));
  const s = new Session(() => {}, { storage });
  await s.refresh(true);
  assert.equal(storage.getItem(CSRF_KEY), null);
  assert.equal(s.csrf, null);
});

test('a 401, or a 403 about the CSRF token, forgets the token; another 403 does not', () => {
  fakeFetch(() => ({ status: 200, data: { authenticated: true } }));
  const { s } = make();
  s.checkedAt = Date.now(); // keep denied() from asking the server here
  for (const [status, error, forgets] of [
    [403, 'missing or wrong CSRF token (X-Kodiak-CSRF)', true],
    [401, 'changes need a bearer token ... (this one has ended: log in again)', true],
    [403, 'foreign Origin', false],
  ]) {
    s.keepCsrf('c');
    s.denied({ status, data: { error } });
    assert.equal(s.storage.getItem(CSRF_KEY), forgets ? null : 'c', `${status} ${error}`);
  }
});

test('/v1/session is asked at most every 10 s unless forced', async () => {
  let t = 1_000_000;
  const calls = fakeFetch(() => ({ status: 200, data: { authenticated: false, reads_open: false } }));
  const { s } = make({ now: () => t });
  await s.refresh();
  await s.refresh();
  t += RECHECK_MIN_MS - 1;
  await s.refresh();
  assert.equal(calls.length, 1);
  t += 1;
  await s.refresh();
  assert.equal(calls.length, 2);
  await s.refresh(true);
  assert.equal(calls.length, 3);
});

test('the expiry re-check is timed by the server clock, and never sooner than 10 s', () => {
  fakeFetch(() => ({ status: 200, data: {} }));
  let skew = 0;
  const t = Date.parse('2026-12-05T12:00:00Z');
  const { s } = make({ now: () => t, skewMs: () => skew });
  s.authenticated = true;
  s.expiresAt = '2026-12-05T12:10:00Z';
  assert.equal(s.recheckDelay(), 600_000 + 500);
  skew = 5 * 60_000; // the server's clock is 5 min ahead of this one: 5 min left, not 10
  assert.equal(s.recheckDelay(), 300_000 + 500);
  skew = 20 * 60_000; // already past by the server's clock
  assert.equal(s.recheckDelay(), RECHECK_MIN_MS);
  s.authenticated = false;
  assert.equal(s.recheckDelay(), null);
});

test('a /v1/session that never answers gives up after the timeout, and the page carries on', async () => {
  hangingFetch();
  const { s, changes } = make({ timeoutMs: 50 });
  const alive = setTimeout(() => {}, 10_000); // node's AbortSignal.timeout alone keeps no event loop running
  await s.refresh(true);
  clearTimeout(alive);
  assert.equal(changes.length, 1, 'onChange called with what was known');
});

test('a restarted Kodiak (another started_at) makes the page ask for its session', async () => {
  const calls = fakeFetch(() => ({ status: 200, data: { authenticated: false } }));
  const { s } = make();
  s.checkedAt = Date.now(); // just asked: the restart must ask anyway
  assert.equal(s.noteStart('2026-12-05T10:00:00Z'), false);
  assert.equal(s.noteStart('2026-12-05T10:00:00Z'), false);
  assert.equal(calls.length, 0);
  assert.equal(s.noteStart('2026-12-05T11:00:00Z'), true);
  await new Promise((r) => setImmediate(r));
  assert.equal(calls.length, 1);
});

test('a logout the server refuses or does not answer says so and stays logged in', async () => {
  let answer = { status: 500, data: { error: 'boom' } };
  fakeFetch((m) => (m === 'DELETE' ? answer : { status: 200, data: { authenticated: false } }));
  const { s } = make();
  s.authenticated = true;
  s.keepCsrf('c');
  assert.match(await s.logout(), /not logged out: boom/);
  assert.ok(s.loggedIn);

  globalThis.fetch = async () => { throw new TypeError('Failed to fetch'); };
  assert.match(await s.logout(), /not logged out: Kodiak does not answer/);
  assert.equal(s.storage.getItem(CSRF_KEY), 'c');

  answer = { status: 200, data: { authenticated: false } };
  fakeFetch((m) => (m === 'DELETE' ? answer : { status: 200, data: { authenticated: false } }));
  assert.equal(await s.logout(), null);
  assert.equal(s.loggedIn, false);
  assert.equal(s.storage.getItem(CSRF_KEY), null);
});
