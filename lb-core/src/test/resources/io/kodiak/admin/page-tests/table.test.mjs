// The upstreams table (table.js) under node with a fake DOM: the pool filter is not rebuilt while
// a chosen pool is gone, and rows do not move while a person is using them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fakeDom } from './fakes.mjs';

const { UpstreamTable } = await import('../page/table.js');

const ctx = { nowMs: Date.now(), history: new Map(), waits: new Map(), drained: new Map(), metrics: true };
const u = (pool, name, rate) => ({ pool, name, address: `127.0.0.1:${name.charCodeAt(0)}`, state: 'UP',
  weight: 1, in_flight: 0, request_rate: rate, reasons: [] });
const order = (body) => body.children.map((tr) => tr.dataset.upstream);

test('the pool filter is rebuilt when the pools change, not every second while the chosen one is gone', () => {
  const { table, filters } = fakeDom();
  const t = new UpstreamTable(table, filters, () => {});
  t.update([u('app', 'a', 1), u('old', 'b', 1)], ctx);
  filters.pool.value = 'old';
  t.update([u('app', 'a', 1)], ctx); // a reload removed the pool "old"
  assert.deepEqual(filters.pool.options.map((o) => o.text), ['All pools', 'app', 'old (gone)']);
  const added = filters.pool.added;
  for (let i = 0; i < 5; i++) t.update([u('app', 'a', 1)], ctx);
  assert.equal(filters.pool.added, added, 'no rebuild while nothing changed');
  assert.equal(filters.pool.value, 'old');
  t.update([u('app', 'a', 1), u('new', 'c', 1)], ctx);
  assert.deepEqual(filters.pool.options.map((o) => o.text), ['All pools', 'app', 'new', 'old (gone)']);
});

test('sorted by a live column, rows keep their places while held and take their order after', () => {
  const { table, body, filters } = fakeDom();
  const t = new UpstreamTable(table, filters, () => {});
  t.sortBy('rate'); // largest first
  t.update([u('app', 'a', 3), u('app', 'b', 2), u('app', 'c', 1)], ctx);
  assert.deepEqual(order(body), ['app/a', 'app/b', 'app/c']);

  let held = true;
  t.holdOrder = () => held;
  t.update([u('app', 'a', 1), u('app', 'b', 2), u('app', 'c', 3), u('app', 'd', 9)], ctx);
  assert.deepEqual(order(body), ['app/a', 'app/b', 'app/c', 'app/d'], 'nothing moves; a new row goes last');
  const a = body.children[0];
  assert.equal(a.children.find((td) => td.className === 'rate').firstChild.textContent, '1.0/s', 'values still update');

  t.releaseOrder();
  assert.deepEqual(order(body), ['app/a', 'app/b', 'app/c', 'app/d'], 'still held: no order yet');
  held = false;
  t.releaseOrder();
  assert.deepEqual(order(body), ['app/d', 'app/c', 'app/b', 'app/a']);
});
