// Wait-until-drained (drains.js) under node: at most two waits are held as requests (a browser has
// six connections per host and the polls need one); the rest are watched through the polls.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Drains, MAX_HELD, HELD_TIMEOUT_MS, WAIT_MS } from '../page/drains.js';

function make() {
  const posts = [];
  const said = [];
  let t = 1000;
  const d = new Drains({
    post: (u, what, body, timeoutMs) => new Promise((resolve) => posts.push({ u, what, body, timeoutMs, resolve })),
    say: (text, bad) => said.push({ text, bad: !!bad }),
    changed: () => {},
    now: () => t,
  });
  return { d, posts, said, tick: (ms) => { t += ms; }, now: () => t };
}

const up = (name, extra = {}) => ({ pool: 'app', name, state: 'DRAIN', admin_state: 'drain', in_flight: 2,
  drain: { since: 'x', elapsed_ms: 100, in_flight: 2 }, ...extra });

test('six drains with a wait: two held as requests, four watched through the polls', async () => {
  const { d, posts } = make();
  assert.equal(MAX_HELD, 2);
  for (const n of ['a', 'b', 'c', 'e', 'f', 'g']) d.start(up(n), `app/${n}`);
  assert.equal(posts.length, 2, 'only two wait-drained requests');
  assert.deepEqual(posts.map((p) => p.what), ['wait-drained', 'wait-drained']);
  assert.ok(posts.every((p) => p.timeoutMs === HELD_TIMEOUT_MS && p.timeoutMs > WAIT_MS), 'a held wait has its own bound');
  assert.equal(d.waits.size, 6, 'all six show their progress');
});

test('a held wait answers: the message, and its place is free for the next', async () => {
  const { d, posts, said } = make();
  const held = d.start(up('a'), 'app/a');
  d.start(up('b'), 'app/b');
  posts[0].resolve({ drained: true, waited_ms: 3200, in_flight: 0 });
  await held;
  assert.equal(said.at(-1).text, 'app/a drained in 3.2 s.');
  assert.equal(d.drained.get('app/a'), 'drained in 3.2 s');
  d.start(up('c'), 'app/c');
  assert.equal(posts.length, 3, 'a is done, so c is held');
});

test('a watched wait ends when a poll shows nothing in flight, with the same message', () => {
  const { d, said, tick, now } = make();
  d.start(up('a'), 'app/a');
  d.start(up('b'), 'app/b');
  d.start(up('c'), 'app/c');
  const askedBefore = now() - 1;
  tick(1500);
  d.observe([up('c', { in_flight: 0, drain: { elapsed_ms: 0, in_flight: 0 } })], askedBefore);
  assert.ok(d.waits.has('app/c'), 'a poll sent before the wait began says nothing about it');
  d.observe([up('c')], now());
  assert.ok(d.waits.has('app/c'), 'still 2 in flight');
  tick(2500);
  d.observe([up('c', { in_flight: 0, drain: { elapsed_ms: 4000, in_flight: 0 } })], now());
  assert.equal(d.waits.has('app/c'), false);
  assert.equal(said.at(-1).text, 'app/c drained in 4.0 s.');
  assert.equal(d.drained.get('app/c'), 'drained in 4.0 s');
  d.observe([up('c', { state: 'UP', admin_state: 'ready', drain: null, in_flight: 0 })], now());
  assert.equal(d.drained.has('app/c'), false, 'the note goes once it is ready again');
});

test('a watched wait stops after 5 min like a held one, or when the upstream is made ready', () => {
  const { d, said, tick, now } = make();
  d.start(up('a'), 'app/a');
  d.start(up('b'), 'app/b');
  d.start(up('c'), 'app/c');
  d.start(up('e'), 'app/e');
  tick(WAIT_MS);
  d.observe([up('c'), up('e', { state: 'UP', admin_state: 'ready', drain: null })], now());
  assert.equal(d.waits.has('app/c'), false);
  assert.equal(d.waits.has('app/e'), false);
  assert.ok(said.some((s) => s.bad && s.text === 'app/c still 2 in flight after 5 min 0 s.'), JSON.stringify(said));
  assert.ok(said.some((s) => s.text.startsWith('app/e: no longer draining')), JSON.stringify(said));
  assert.ok(d.waits.has('app/a') && d.waits.has('app/b'), 'held waits end with their answers only');
});
