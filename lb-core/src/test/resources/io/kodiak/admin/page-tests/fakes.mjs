// Just enough of a browser for the page's modules under node: fetch answered by a test's function,
// a sessionStorage, and a DOM of plain objects for the upstreams table. Not a browser: the page
// itself runs in Chromium in StatusPageBrowserTest; these check the page's decisions.

/** fetch answered by handler(method, path, init) → {status, data} | a Promise | throws. Records the calls. */
export function fakeFetch(handler) {
  const calls = [];
  globalThis.fetch = async (path, init = {}) => {
    calls.push({ method: init.method || 'GET', path, init });
    const a = await handler(init.method || 'GET', path, init);
    return {
      ok: a.status >= 200 && a.status < 300,
      status: a.status,
      headers: new Map(Object.entries(a.headers || {})),
      json: async () => a.data,
    };
  };
  return calls;
}

/** A fetch that never answers until its AbortSignal fires, as a Kodiak that accepted but hangs. */
export function hangingFetch() {
  globalThis.fetch = (path, init = {}) => new Promise((resolve, reject) => {
    init.signal?.addEventListener('abort', () => reject(init.signal.reason));
  });
}

export function fakeStorage() {
  const m = new Map();
  return {
    map: m,
    getItem: (k) => (m.has(k) ? m.get(k) : null),
    setItem: (k, v) => m.set(k, String(v)),
    removeItem: (k) => m.delete(k),
  };
}

class El {
  constructor(tag) {
    this.tagName = tag.toUpperCase();
    this.children = [];
    this.parent = null;
    this.dataset = {};
    this.attrs = {};
    this.own = '';
    this.hidden = false;
    this.className = '';
    this.title = '';
    this.disabled = false;
    this.classList = { toggle() {}, add() {} };
    this.listeners = {};
  }

  get firstChild() { return this.children[0] || null; }
  get lastChild() { return this.children[this.children.length - 1] || null; }
  get firstElementChild() { return this.firstChild; }
  get nextElementSibling() {
    if (!this.parent) return null;
    const c = this.parent.children;
    return c[c.indexOf(this) + 1] || null;
  }
  get isConnected() {
    let n = this;
    while (n.parent) n = n.parent;
    return n.isRoot === true;
  }
  get textContent() { return this.children.length ? this.children.map((c) => c.textContent).join('') : this.own; }
  set textContent(v) {
    for (const c of this.children) c.parent = null;
    this.children = [];
    this.own = String(v);
  }
  append(...nodes) {
    for (let n of nodes) {
      if (typeof n === 'string') {
        const t = new El('#text');
        t.own = n;
        n = t;
      }
      this.insertBefore(n, null);
    }
  }
  insertBefore(n, ref) {
    n.remove();
    n.parent = this;
    if (ref) this.children.splice(this.children.indexOf(ref), 0, n);
    else this.children.push(n);
  }
  remove() {
    if (!this.parent) return;
    const c = this.parent.children;
    c.splice(c.indexOf(this), 1);
    this.parent = null;
  }
  setAttribute(k, v) { this.attrs[k] = String(v); }
  getAttribute(k) { return this.attrs[k] ?? null; }
  addEventListener(type, f) { (this.listeners[type] ||= []).push(f); }
  querySelectorAll() { return []; }
}

/** document, Option and a connected table with one tbody; returns {table, body, filters}. */
export function fakeDom() {
  globalThis.document = {
    createElement: (t) => new El(t),
    createElementNS: (ns, t) => new El(t),
    activeElement: null,
  };
  globalThis.Option = class { constructor(text, value) { this.text = text; this.value = value; } };
  const table = new El('table');
  table.isRoot = true;
  const body = new El('tbody');
  table.append(body);
  table.tBodies = [body];
  const field = () => ({ value: '', addEventListener() {} });
  const pool = {
    options: [new Option('All pools', '')],
    value: '',
    added: 0,
    remove(i) { this.options.splice(i, 1); },
    add(o) { this.options.push(o); this.added++; },
    addEventListener() {},
  };
  return { table, body, filters: { pool, state: field(), text: field(), empty: { hidden: false } } };
}
