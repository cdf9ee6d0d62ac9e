// Wait-until-drained, for the page. A browser opens at most 6 HTTP/1.1 connections to one
// host:port, and a held POST .../wait-drained takes one for up to 5 minutes: six of them would leave
// the status polls no connection (the page would say "reconnecting" until a wait ended). So at
// most MAX_HELD waits are held as requests; any more are watched through the status polls (the
// upstream's drain.in_flight reaching 0), and end with the same message. No DOM here: node tests it.

import { duration, keyOf, inFlightOf } from './format.js';

export const MAX_HELD = 2;
/** What the page asks Kodiak to wait, and how long a watched wait lasts. */
export const WAIT_MS = 5 * 60 * 1000;
/** A held wait's own bound: Kodiak answers at WAIT_MS; this is for a Kodiak that never does. */
export const HELD_TIMEOUT_MS = WAIT_MS + 15000;

/**
 * ctx: post(u, what, body, timeoutMs) → the answer's JSON or null (it has said why), say(text, bad),
 * changed() to redraw; now() for tests. waits (key → {started, held}) and drained (key → text) are
 * what the table shows in the Drain cells.
 */
export class Drains {
  constructor(ctx) {
    this.ctx = ctx;
    this.now = ctx.now || (() => Date.now());
    this.waits = new Map();
    this.drained = new Map();
  }

  held() {
    let n = 0;
    for (const w of this.waits.values()) if (w.held) n++;
    return n;
  }

  /** Starts waiting for u (already sent to DRAIN or MAINT): held while fewer than MAX_HELD are, else watched. */
  async start(u, key) {
    if (this.waits.has(key)) return; // one wait per upstream is enough
    const held = this.held() < MAX_HELD;
    this.waits.set(key, { started: this.now(), held });
    this.drained.delete(key);
    this.ctx.changed();
    if (!held) return;
    const d = await this.ctx.post(u, 'wait-drained', { timeout: '5m' }, HELD_TIMEOUT_MS);
    this.waits.delete(key);
    if (d) this.finish(key, !!d.drained, d.waited_ms, d.in_flight);
    this.ctx.changed();
  }

  finish(key, drained, waitedMs, inFlight) {
    const took = duration(waitedMs);
    if (drained) {
      this.drained.set(key, `drained in ${took}`);
      this.ctx.say(`${key} drained in ${took}.`);
    } else {
      this.ctx.say(`${key} still ${inFlight} in flight after ${took}.`, true);
    }
  }

  /**
   * Each status poll: ends the watched waits whose upstream has nothing in flight any more (or
   * WAIT_MS passed, as a held wait would), drops those made ready or gone meanwhile, and forgets
   * a "drained" note once its upstream is ready again. askedAt: when that poll was sent; an answer
   * to a poll sent before a wait began may predate the drain itself, so it says nothing about it.
   */
  observe(ups, askedAt = Infinity) {
    const byKey = new Map(ups.map((u) => [keyOf(u), u]));
    for (const u of ups) if (u.state === 'UP' || u.admin_state === 'ready') this.drained.delete(keyOf(u));
    for (const [key, w] of [...this.waits]) {
      if (w.held || w.started > askedAt) continue;
      const u = byKey.get(key);
      if (!u || u.admin_state === 'ready' || u.state === 'UP') {
        this.waits.delete(key);
        this.ctx.say(`${key}: no longer draining; stopped waiting.`);
        continue;
      }
      const waited = this.now() - w.started;
      const inFlight = inFlightOf(u);
      if (inFlight === 0 || waited >= WAIT_MS) {
        this.waits.delete(key);
        this.finish(key, inFlight === 0, waited, inFlight);
      }
    }
  }
}
