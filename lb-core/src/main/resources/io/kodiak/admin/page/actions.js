// The session (login with the admin token, its CSRF token) and the changes the page makes:
// drain, maint, ready, weight and wait-until-drained, each after a confirmation. They go
// through the same admin API as `kodiak ctl`; the page adds nothing the API does not check.

import { api, errorOf, noAnswer, CHANGE_TIMEOUT_MS } from './session.js';
import { keyOf } from './format.js';

const $ = (id) => document.getElementById(id);

/** The login dialog: opened by the button, or first thing when reads need a login. */
export function wireLogin(session, say) {
  const dialog = $('login');
  const form = $('login-form');
  const input = $('login-token');
  const error = $('login-error');
  $('login-open').addEventListener('click', () => openLogin());
  $('login-cancel').addEventListener('click', () => dialog.close());
  $('logout').addEventListener('click', async () => {
    const problem = await session.logout();
    if (problem) say(`Log out failed: ${problem}`, true);
    else say('Logged out.');
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
 * The one way the page sends a change: post(u, what, body, timeoutMs) resolves the answer's JSON,
 * or null after saying in #messages why not. Every change is bounded in time (CHANGE_TIMEOUT_MS
 * unless told). A refusal for the credentials tells the session, which forgets a CSRF token
 * that no longer works.
 */
export function changer(session, say) {
  const base = (u) => `/v1/pools/${encodeURIComponent(u.pool)}/upstreams/${encodeURIComponent(u.name)}`;
  return async function post(u, what, body, timeoutMs = CHANGE_TIMEOUT_MS) {
    let r;
    try {
      r = await api('POST', `${base(u)}/${what}`, body, session.csrf, timeoutMs);
    } catch (e) {
      say(`${u.pool}/${u.name}: ${what}: ${noAnswer(e, timeoutMs)}.`, true);
      return null;
    }
    if (r.ok) return r.data || {};
    say(`${u.pool}/${u.name}: ${what} refused: ${errorOf(r)}`, true);
    if (r.status === 401 || r.status === 403) session.denied(r);
    return null;
  };
}

/**
 * Runs the row buttons. ctx: post (from changer), say(text, bad), drains (a Drains, for
 * wait-until-drained), changed() to redraw now and poll soon.
 */
export function makeActions(ctx) {
  const { post } = ctx;
  return async function run(action, u) {
    const key = keyOf(u);
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
    if (drains && answer.wait) await ctx.drains.start(u, key);
  };
}

/** A peer instance that did not take the change is worth a word. */
const shared = (d) => (d.shared && d.shared !== 'ok' ? ` (shared: ${d.shared})` : '');
