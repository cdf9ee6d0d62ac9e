// The one upstreams table over all pools: rows keyed by data-upstream="POOL/NAME", created once
// and then only their texts changed, so that the sort, the filters and the keyboard focus survive
// the once-a-second updates (rebuilding the table would throw away a focused Drain button).

import {
  duration, rate, ms, age, errorCauses, stateText, reasonWords, checkWords, drawSpark, newSpark, setText, keyOf, inFlightOf,
} from './format.js';

export { keyOf };

const CELLS = [
  ['pool', 'Pool'], ['name', 'Name'], ['address', 'Address'], ['state', 'State'], ['weight', 'Weight'],
  ['in-flight', 'In flight'], ['rate', 'Requests'], ['errors', 'Errors'], ['latency', 'Latency'],
  ['last-check', 'Last check'], ['drain', 'Drain'], ['actions', 'Actions'],
];
const ACTIONS = [['drain', 'Drain'], ['maint', 'Maint'], ['ready', 'Ready'], ['weight', 'Weight']];

/** Worst first: a DOWN upstream is what a person opened the page for. */
const STATE_RANK = { DOWN: 0, DRAIN: 1, MAINT: 2, UP: 3 };
const TEXT_KEYS = new Set(['pool', 'name', 'address']);

const SORTS = {
  pool: (u) => u.pool,
  name: (u) => u.name,
  address: (u) => u.address,
  state: (u) => STATE_RANK[u.state] ?? 4,
  weight: (u) => u.effective_weight ?? u.weight ?? 0,
  'in-flight': (u) => u.in_flight ?? 0,
  rate: (u) => u.request_rate ?? -1,
  errors: (u) => u.error_rate ?? -1,
  latency: (u) => (u.latency_ms && u.latency_ms.p99) ?? -1,
  'last-check': (u) => (u.last_check ? Date.parse(u.last_check.at) : 0),
};


export class UpstreamTable {
  constructor(table, filters, onAction) {
    this.table = table;
    this.body = table.tBodies[0];
    this.filters = filters; // {pool, state, text, empty}
    this.onAction = onAction;
    this.rows = new Map(); // key -> {tr, cells, sparks, buttons, u}
    this.sort = { key: 'state', dir: 1 };
    this.canChange = false;
    this.last = null;
    this.holdOrder = () => false; // app.js: true while a person is using the rows (pointer, focus, dialog)
    this.orderDue = false;
    for (const th of table.querySelectorAll('th[data-sort]')) {
      th.querySelector('button').addEventListener('click', () => this.sortBy(th.dataset.sort));
    }
    const again = () => this.last && this.update(this.last.list, this.last.ctx);
    filters.pool.addEventListener('change', again);
    filters.state.addEventListener('change', again);
    filters.text.addEventListener('input', again);
  }

  /** Clicking the sorted header again turns it round; numbers start with the largest, names with A. */
  sortBy(key) {
    if (this.sort.key === key) this.sort.dir = -this.sort.dir;
    else this.sort = { key, dir: TEXT_KEYS.has(key) || key === 'state' ? 1 : -1 };
    for (const th of this.table.querySelectorAll('th[data-sort]')) {
      th.setAttribute('aria-sort', th.dataset.sort !== this.sort.key ? 'none'
        : this.sort.dir > 0 ? 'ascending' : 'descending');
    }
    if (this.last) {
      this.update(this.last.list, this.last.ctx);
      this.order(this.last.list); // asked for: now, held or not
    }
  }

  /** The hold ended: put the rows in order if an update left them out of it. */
  releaseOrder() {
    if (this.orderDue && this.last && !this.holdOrder()) this.order(this.last.list);
  }

  setCanChange(can) {
    this.canChange = can;
    for (const r of this.rows.values()) for (const b of r.buttons) b.disabled = !can;
  }

  /**
   * ctx: nowMs (the server's clock), history (key -> {rate, p99}), waits (key -> {started, inFlight}),
   * drained (key -> text), metrics (false with metrics off).
   */
  update(list, ctx) {
    this.last = { list, ctx };
    this.syncPoolFilter(list);
    const seen = new Set();
    for (const u of list) {
      const key = keyOf(u);
      seen.add(key);
      let r = this.rows.get(key);
      if (!r) {
        r = this.makeRow(key);
        this.rows.set(key, r);
      }
      r.u = u;
      this.fill(r, u, key, ctx);
      r.tr.hidden = !this.matches(u, key);
    }
    for (const [key, r] of this.rows) {
      if (!seen.has(key)) { // gone in a reload or from discovery
        r.tr.remove();
        this.rows.delete(key);
      }
    }
    if (this.holdOrder()) { // values change in place; new rows go last until the hold ends
      this.orderDue = true;
      for (const r of this.rows.values()) if (!r.tr.isConnected) this.body.append(r.tr);
    } else {
      this.order(list);
    }
    this.filters.empty.hidden = list.length === 0 || [...this.rows.values()].some((r) => !r.tr.hidden);
  }

  /** Puts the rows in sort order, moving only those out of place, and gives focus back if a move took it. */
  order(list) {
    this.orderDue = false;
    const { key, dir } = this.sort;
    const f = SORTS[key];
    const sorted = [...list].sort((a, b) => {
      const x = f(a), y = f(b);
      const c = typeof x === 'string' ? x.localeCompare(y) : x - y;
      return c * dir || a.pool.localeCompare(b.pool) || a.name.localeCompare(b.name);
    });
    const focused = document.activeElement;
    let at = this.body.firstElementChild;
    for (const u of sorted) {
      const tr = this.rows.get(keyOf(u)).tr;
      if (tr === at) at = at.nextElementSibling;
      else this.body.insertBefore(tr, at);
    }
    if (focused && focused !== document.activeElement && focused.isConnected) focused.focus({ preventScroll: true });
  }

  matches(u, key) {
    const { pool, state, text } = this.filters;
    if (pool.value && u.pool !== pool.value) return false;
    if (state.value === 'not-up' ? u.state === 'UP' : state.value && u.state !== state.value) return false;
    const q = text.value.trim().toLowerCase();
    if (!q) return true;
    return `${key} ${u.address} ${stateText(u)} ${u.source || ''}`.toLowerCase().includes(q);
  }

  /**
   * The pool filter's options follow the pools (a reload may add or remove one); the choice stays,
   * as "NAME (gone)" while its pool is gone. Rebuilt only when that list changes: a rebuild every
   * second would close the select under the mouse.
   */
  syncPoolFilter(list) {
    const sel = this.filters.pool;
    const chosen = sel.value;
    const pools = [...new Set(list.map((u) => u.pool))].sort();
    const want = pools.map((p) => [p, p]);
    if (chosen && !pools.includes(chosen)) want.push([`${chosen} (gone)`, chosen]);
    const have = [...sel.options].slice(1);
    if (have.length === want.length && have.every((o, i) => o.text === want[i][0] && o.value === want[i][1])) return;
    while (sel.options.length > 1) sel.remove(1);
    for (const [text, value] of want) sel.add(new Option(text, value));
    sel.value = chosen;
  }

  makeRow(key) {
    const tr = document.createElement('tr');
    tr.dataset.upstream = key;
    const cells = {};
    for (const [cls, label] of CELLS) {
      const td = document.createElement('td');
      td.className = cls;
      td.dataset.label = label; // the narrow (card) layout shows it before the value
      tr.append(td);
      cells[cls] = td;
    }
    const badge = document.createElement('span');
    badge.className = 'badge';
    const why = document.createElement('span');
    why.className = 'why';
    cells.state.append(badge, why);
    const sparks = {};
    for (const cls of ['rate', 'latency']) {
      const v = document.createElement('span');
      v.className = 'value';
      sparks[cls] = newSpark();
      cells[cls].append(v, sparks[cls]);
    }
    const buttons = ACTIONS.map(([action, text]) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = text;
      b.dataset.action = action;
      b.setAttribute('aria-label', `${text} ${key}`);
      b.disabled = !this.canChange;
      b.addEventListener('click', () => this.onAction(action, this.rows.get(key).u));
      cells.actions.append(b);
      return b;
    });
    return { tr, cells, sparks, buttons, u: null, drawn: null };
  }

  fill(r, u, key, ctx) {
    const c = r.cells;
    if (r.tr.dataset.state !== u.state) r.tr.dataset.state = u.state;
    setText(c.pool, u.pool);
    setText(c.name, u.source ? `${u.name} (${u.discovery || 'ready'})` : u.name);
    setText(c.address, u.address);
    setText(c.state.firstChild, u.state);
    const words = stateText(u).slice(u.state.length);
    setText(c.state.lastChild, words);
    c.state.title = reasonWords(u).join('\n');
    setText(c.weight, weightText(u));
    setText(c['in-flight'], u.max_connections > 0 ? `${u.in_flight} / ${u.max_connections}` : `${u.in_flight}`);
    const h = ctx.history.get(key) || {};
    setText(c.rate.firstChild, rate(u.request_rate));
    const redraw = r.drawn !== h || !h.rate; // history changes every 5 s: no need to redraw every second
    r.drawn = h;
    if (redraw) drawSpark(r.sparks.rate, h.rate, `${key} request rate`, rate);
    setText(c.errors, errorsText(u, ctx.metrics));
    setText(c.latency.firstChild, latencyText(u.latency_ms, ctx.metrics));
    if (redraw) drawSpark(r.sparks.latency, h.p99, `${key} p99 latency`, ms);
    setText(c['last-check'], checkText(u, ctx.nowMs));
    c['last-check'].title = u.last_check ? u.last_check.detail || '' : '';
    const drain = drainText(u, ctx.waits.get(key), ctx.drained.get(key));
    setText(c.drain, drain);
    c.drain.classList.toggle('waiting', ctx.waits.has(key));
  }
}

/** "5", "5 (now 2.5, slow start)", "2 (configured 5)": the weight set, and what the balancer uses now. */
function weightText(u) {
  const notes = [];
  if (u.configured_weight != null && u.weight !== u.configured_weight) notes.push(`configured ${u.configured_weight}`);
  const eff = u.effective_weight;
  if (u.slow_start) notes.push(`now ${eff != null ? +eff.toFixed(2) : '?'}, slow start`);
  return notes.length ? `${u.weight} (${notes.join(', ')})` : `${u.weight}`;
}

/**
 * "0.4/s: refused 0.3/s, 5xx 0.1/s"; with one cause only its name: "2.5/s refused". With metrics
 * off Kodiak counts failed attempts only (no causes, no 5xx): "0.4/s failed". Null: an upstream
 * beyond the history's bound, not tracked.
 */
function errorsText(u, metrics) {
  if (u.error_rate == null) return '—';
  if (metrics === false) return `${rate(u.error_rate)} failed`;
  const causes = errorCauses(u.errors);
  if (!causes) return rate(u.error_rate);
  return causes.includes(',') ? `${rate(u.error_rate)}: ${causes}` : `${rate(u.error_rate)} ${causes.replace(/ [^ ]+\/s$/, '')}`;
}

/** "p50 8 ms · p99 41 ms"; nothing measured in the window (no requests): "no requests". */
function latencyText(l, metrics) {
  if (!l) return metrics === false ? 'metrics off' : '—';
  if (l.p50 == null && l.p99 == null) return `no requests in ${l.window_s ?? 30} s`;
  return `p50 ${ms(l.p50)} · p99 ${ms(l.p99)}`;
}

function checkText(u, nowMs) {
  const c = u.last_check;
  if (!c) return u.health === 'unchecked' ? 'not checked' : 'no check yet';
  const a = age(c.at, nowMs);
  const when = a == null ? '' : ` ${duration(a)} ago`;
  return c.passed ? `passed${when}` : `failed${when}${c.detail ? `: ${checkWords(c.detail)}` : ''}`;
}

/**
 * While DRAIN or MAINT: what is still in flight and for how long (the "drain" object, with the
 * page's own clock as a fallback while a wait is held); after a wait answered, its outcome.
 */
function drainText(u, wait, drained) {
  const d = u.drain;
  const inFlight = inFlightOf(u);
  if (wait) {
    const elapsed = d ? d.elapsed_ms : Date.now() - wait.started;
    return `waiting: ${inFlight} in flight, ${duration(elapsed)}`;
  }
  if (u.state === 'UP') return '';
  if (drained && inFlight === 0) return drained;
  if (d) return `${inFlight} in flight, draining for ${duration(d.elapsed_ms)}`;
  if (u.admin_state && u.admin_state !== 'ready') return `${inFlight} in flight`;
  return '';
}
