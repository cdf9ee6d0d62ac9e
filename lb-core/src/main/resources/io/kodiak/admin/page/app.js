// The status page's entry: asks /v1/session, then polls /v1/status once a second and
// /v1/history every 5 s (each waits for its previous answer, so a slow Kodiak is never asked
// twice at once), and draws the header, the summary and the three tables from the answers.

import { duration, rate, age, shortReasons, setText } from './format.js';
import { UpstreamTable, keyOf } from './table.js';
import { Session, api } from './session.js';
import { Drains } from './drains.js';
import { wireLogin, changer, makeActions } from './actions.js';

const $ = (id) => document.getElementById(id);
const STATUS_EVERY = 1000;
const HISTORY_EVERY = 5000;

const view = {
  status: null,          // the last good /v1/status
  skewMs: 0,             // server clock - this clock, from "now"
  history: new Map(),    // "pool/name" -> {rate, p99}; "listener:name" -> {rate}
  lastOk: 0,
  failing: false,
  locked: false,         // the last poll was refused for want of a login (reads off loopback)
  loginDismissed: false,
};

// ------------------------------------------------------------------ messages

/** One line in #messages (role=status, so a screen reader hears it); the newest on top, a few kept. */
function say(text, bad = false) {
  const box = $('messages');
  const p = document.createElement('p');
  p.className = bad ? 'bad' : '';
  const t = document.createElement('time');
  t.textContent = new Date().toLocaleTimeString();
  p.append(t, ' ', text);
  box.prepend(p);
  while (box.children.length > 6) box.lastElementChild.remove();
}

// ------------------------------------------------------------------ session

const session = new Session(showSession, { skewMs: () => view.skewMs });
const openLogin = wireLogin(session, say);
const post = changer(session, say);
const changed = () => { render(); pollSoon(); };
const drains = new Drains({ post, say, changed });
const table = new UpstreamTable($('upstreams'), {
  pool: $('filter-pool'), state: $('filter-state'), text: $('filter-text'), empty: $('upstreams-empty'),
}, makeActions({ post, say, drains, changed }));
holdOrderWhileInUse();

/**
 * Logged in means a session AND this tab's CSRF token for it: a session the tab has no token for
 * (opened in another tab) cannot make changes, so the page offers a login, which makes a new one.
 */
function showSession(s) {
  const loggedIn = s.loggedIn;
  setText($('session-state'), loggedIn ? 'logged in' : 'read-only');
  $('login-open').hidden = loggedIn || !s.supported;
  $('logout').hidden = !loggedIn;
  table.setCanChange(loggedIn);
  if (!s.authenticated && !s.readsOpen && !view.loginDismissed) {
    view.loginDismissed = true; // once per page; the button stays for a second try
    openLogin();
  }
  if (s.authenticated) view.loginDismissed = false;
}

/**
 * Sorted by a live column (requests, latency, last check), rows would move every second under
 * the mouse or away from a focused button. They stay put while the pointer is over the table, a
 * row's button has focus or the confirmation is open, and take their order when that ends.
 */
function holdOrderWhileInUse() {
  const el = $('upstreams');
  const confirm = $('confirm');
  let pointerOver = false;
  table.holdOrder = () => pointerOver || confirm.open
    || (document.activeElement instanceof HTMLButtonElement && el.tBodies[0].contains(document.activeElement));
  // after the event, once the focus has moved on (focusout fires before activeElement changes)
  const release = () => setTimeout(() => table.releaseOrder(), 0);
  el.addEventListener('pointerenter', () => { pointerOver = true; });
  el.addEventListener('pointerleave', () => { pointerOver = false; release(); });
  el.addEventListener('focusout', release);
  confirm.addEventListener('close', release);
}

// ------------------------------------------------------------------ polls

let statusTimer = null;
let statusBusy = false;

async function pollStatus() {
  clearTimeout(statusTimer);
  if (statusBusy) return;
  statusBusy = true;
  const began = Date.now();
  try {
    const r = await api('GET', '/v1/status', undefined, null, 5000);
    if (r.ok && r.data) {
      view.status = r.data;
      const k = r.data.kodiak || {};
      const now = Date.parse(k.now);
      view.skewMs = isFinite(now) ? now - Date.now() : 0;
      session.noteStart(k.started_at); // a restarted Kodiak has forgotten every session
      drains.observe((r.data.pools || []).flatMap((p) => p.upstreams || []), began);
      view.lastOk = Date.now();
      view.failing = false;
      view.locked = false;
    } else {
      view.failing = true;
      view.locked = r.status === 401 || r.status === 403;
      if (view.locked) session.refresh(); // not awaited, and at most every 10 s: the polls go on
    }
  } catch {
    view.failing = true; // Kodiak restarting or the network gone: keep the last data, greyed
  } finally {
    statusBusy = false;
    render();
    statusTimer = setTimeout(pollStatus, Math.max(0, STATUS_EVERY - (Date.now() - began)));
  }
}

/** After a change: ask now rather than in up to a second, unless a poll is already on its way. */
function pollSoon() {
  if (!statusBusy) pollStatus();
}

async function pollHistory() {
  const began = Date.now();
  try {
    const r = await api('GET', '/v1/history', undefined, null, 10000);
    if (r.ok && r.data) takeHistory(r.data);
  } catch { /* the status poll shows the outage */ }
  setTimeout(pollHistory, Math.max(0, HISTORY_EVERY - (Date.now() - began)));
}

function takeHistory(h) {
  const m = new Map();
  for (const u of h.upstreams || []) m.set(keyOf(u), { rate: u.request_rate, p99: u.p99_ms });
  for (const l of h.listeners || []) m.set(`listener:${l.name}`, { rate: l.request_rate });
  view.history = m;
  render();
}

// ------------------------------------------------------------------ drawing

function render() {
  const live = $('live');
  const s = view.status;
  document.body.classList.toggle('stale', view.failing && !!s);
  live.classList.toggle('bad', view.failing);
  setText(live, !view.failing ? 'live' : view.locked ? 'locked: log in to see the status' : view.lastOk
    ? `reconnecting (last update ${duration(Date.now() - view.lastOk)} ago)` : 'reconnecting');
  if (!s) return;
  const nowMs = Date.now() + view.skewMs;
  const ups = (s.pools || []).flatMap((p) => p.upstreams || []);
  setText($('instance'), instanceText(s.kodiak || {}, nowMs));
  setText($('summary'), summary(ups));
  $('summary').classList.toggle('bad', ups.some((u) => u.state === 'DOWN'));
  table.update(ups, {
    nowMs, history: view.history, waits: drains.waits, drained: drains.drained,
    metrics: s.kodiak ? s.kodiak.metrics : undefined,
  });
  rows($('pools'), s.pools || [], 'pool', (p) => [
    p.name, p.strategy, `${p.available} of ${(p.upstreams || []).length}`, p.panic ? 'yes: all get traffic' : 'no',
    `${p.queued ?? 0}`, rate(p.request_rate) + (p.rates_partial ? ' (some upstreams untracked)' : ''), sourcesText(p.sources),
  ]);
  rows($('listeners'), s.listeners || [], 'listener', (l) => [
    l.name, l.address, l.tls ? 'yes' : 'no', `${l.connections}`, `${l.accepted}`, `${l.requests}`,
    rate(l.request_rate), `${l.refused}`, `${l.rejected}`,
  ]);
}

/** "Kodiak 0.1.0 · up 2 h 3 min · config 7f3a · reloaded 5 min ago: ok". */
function instanceText(k, nowMs) {
  const parts = [`Kodiak ${k.version || ''}`.trim()];
  const up = k.uptime_s != null ? k.uptime_s * 1000 : age(k.started_at, nowMs);
  if (up != null) parts.push(`up ${duration(up)}`);
  if (k.config_version) parts.push(`config ${k.config_version}`);
  const r = k.last_reload;
  if (r) {
    const when = age(r.at, nowMs);
    const ago = when == null ? '' : ` ${duration(when)} ago`;
    parts.push(r.ok ? `reloaded${ago}: ok${r.note ? ` (but ${r.note})` : ''}` : `reload failed${ago}: ${r.error || 'see the log'}`);
  } else if (k.last_reload === null) {
    parts.push('not reloaded');
  }
  return parts.join(' · ');
}

/** "3 of 4 up; 1 down: app/b (health)": which upstream is sick and why, in one line. */
function summary(ups) {
  if (!ups.length) return 'No upstreams.';
  const up = ups.filter((u) => u.state === 'UP').length;
  const parts = [`${up} of ${ups.length} up`];
  for (const [state, word] of [['DOWN', 'down'], ['DRAIN', 'draining'], ['MAINT', 'in maintenance']]) {
    const these = ups.filter((u) => u.state === state);
    if (!these.length) continue;
    const named = these.slice(0, 5).map((u) => `${keyOf(u)} (${shortReasons(u)})`);
    if (these.length > 5) named.push(`${these.length - 5} more`);
    parts.push(`${these.length} ${word}: ${named.join(', ')}`);
  }
  return parts.join('; ');
}

function sourcesText(sources) {
  if (!sources || !sources.length) return '—';
  return sources.map((s) => `${s.source}: ${s.addresses}${s.stale ? ' (stale)' : ''}`).join('; ');
}

/**
 * A small keyed table (pools, listeners): rows by data-pool / data-listener, texts set only
 * when they change, rows of things gone removed.
 */
function rows(tableEl, items, attr, cells) {
  const body = tableEl.tBodies[0];
  const labels = [...tableEl.tHead.rows[0].cells].map((th) => th.textContent);
  const keep = new Set();
  let at = body.firstElementChild;
  for (const item of items) {
    const name = item.name;
    keep.add(name);
    let tr = [...body.rows].find((r) => r.dataset[attr] === name);
    if (!tr) {
      tr = document.createElement('tr');
      tr.dataset[attr] = name;
      labels.forEach((label) => {
        const td = document.createElement('td');
        td.dataset.label = label;
        tr.append(td);
      });
    }
    if (tr === at) at = at.nextElementSibling;
    else body.insertBefore(tr, at);
    cells(item).forEach((text, i) => setText(tr.cells[i], text));
  }
  for (const tr of [...body.rows]) if (!keep.has(tr.dataset[attr])) tr.remove();
}

// ------------------------------------------------------------------ start

async function start() {
  await session.refresh(true);
  pollStatus();
  pollHistory();
}

start();
