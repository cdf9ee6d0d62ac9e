// Words and pictures for the numbers in /v1/status and /v1/history: durations, rates, the
// reasons an upstream is not UP, and the sparklines. No DOM state lives here.

const SVG = 'http://www.w3.org/2000/svg';

/** An upstream's key everywhere on the page: "POOL/NAME", as in data-upstream. */
export const keyOf = (u) => `${u.pool}/${u.name}`;

/** What is still in flight: the drain's count while it drains, else the upstream's. */
export const inFlightOf = (u) => (u.drain ? u.drain.in_flight : u.in_flight);

/** "850 ms", "4.2 s", "3 min 5 s", "2 h 3 min", "1 d 2 h": short enough for a table cell. */
export function duration(ms) {
  if (ms == null || !isFinite(ms)) return '—';
  if (ms < 0) ms = 0;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.floor(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.floor(s % 60)} s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** A rate per second: one decimal below 100, whole above (a cell must not jitter in width). */
export function rate(r) {
  if (r == null || !isFinite(r)) return '—';
  return `${r < 100 ? r.toFixed(1) : Math.round(r)}/s`;
}

export function ms(v) {
  if (v == null || !isFinite(v)) return '—';
  return v < 10 ? `${v.toFixed(1)} ms` : `${Math.round(v)} ms`;
}

/** How old an ISO time is, against the server's clock ("now" in the status) when it gives one. */
export function age(iso, nowMs) {
  const t = Date.parse(iso);
  if (!isFinite(t)) return null;
  return Math.max(0, nowMs - t);
}

const ERROR_WORDS = {
  connect_refused: 'refused', connect_timeout: 'connect timeout', tls_handshake: 'TLS handshake',
  reset: 'reset', timeout: 'timeout', invalid_response: 'invalid response', status_5xx: '5xx',
};

/** The error causes that are not zero, worst first: "refused 1.2/s, 5xx 0.1/s". */
export function errorCauses(errors) {
  if (!errors) return '';
  return Object.entries(errors)
    .filter(([, v]) => v > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${ERROR_WORDS[k] || k.replace(/_/g, ' ')} ${rate(v)}`)
    .join(', ');
}

/**
 * Why an upstream is not UP, in words, from its "reasons" (admin, discovery, health, ejected,
 * node): "health: connection refused", "admin: drain". The health check's own detail says more
 * than "down" ever could, so it is quoted when the last check failed.
 */
export function reasonWords(u) {
  const out = [];
  for (const r of u.reasons || []) {
    switch (r) {
      case 'admin':
        if (u.admin_state && u.admin_state !== 'ready') out.push(`admin: ${u.admin_state}`);
        else if (u.weight === 0) out.push('admin: weight 0');
        else out.push('admin: being removed');
        break;
      case 'discovery':
        out.push(`discovery: ${u.discovery || 'not ready'}`);
        break;
      case 'health': {
        const c = u.last_check;
        out.push(`health: ${c && !c.passed && c.detail ? checkWords(c.detail) : 'check failing'}`);
        break;
      }
      case 'ejected':
        out.push('ejected: too many failed requests');
        break;
      case 'node':
        out.push('node: asked to drain');
        break;
      default:
        out.push(r);
    }
  }
  return out;
}

const PROBE_WORDS = {
  REFUSED: 'connection refused', TIMEOUT: 'timed out', UNREACHABLE: 'unreachable', ERROR: 'check error',
};

/**
 * A check's detail ("REFUSED in 0.412 ms: connect to /10.0.0.5:8000: Connection refused") in a
 * few words: "connection refused"; for a wrong answer its own words ("HTTP 503 ..."). The whole
 * detail stays in the last-check cell's title.
 */
export function checkWords(detail) {
  const m = /^([A-Z_]+) in [0-9.]+ ?m?s: (.*)$/s.exec(detail || '');
  if (!m) return detail || '';
  if (m[1] === 'UNEXPECTED_RESPONSE') return m[2].length > 80 ? `${m[2].slice(0, 79)}…` : m[2];
  return PROBE_WORDS[m[1]] || m[1].toLowerCase().replace(/_/g, ' ');
}

/** "DOWN — health: connection refused"; "UP — slow start"; plain "UP". */
export function stateText(u) {
  const why = reasonWords(u);
  if (u.state === 'UP' && u.slow_start) why.push('slow start');
  return why.length ? `${u.state} — ${why.join('; ')}` : u.state;
}

/** A short reason list for the summary line: "health", "admin". */
export function shortReasons(u) {
  return (u.reasons && u.reasons.length) ? u.reasons.join(', ') : u.state.toLowerCase();
}

/**
 * A small inline SVG line of a series (oldest first; null is a gap: no data then), with role=img
 * and an aria-label giving the latest value, since a line alone says nothing to a screen reader.
 * Drawn into an existing <svg> so a row keeps its element across updates.
 */
export function drawSpark(svg, series, label, unit) {
  const w = 60, h = 16;
  svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
  svg.setAttribute('width', String(w));
  svg.setAttribute('height', String(h));
  svg.setAttribute('role', 'img');
  svg.setAttribute('preserveAspectRatio', 'none');
  while (svg.firstChild) svg.firstChild.remove();
  const values = Array.isArray(series) ? series : [];
  const known = values.filter((v) => v != null && isFinite(v));
  if (!known.length) {
    svg.setAttribute('aria-label', `${label}: no history yet`);
    return;
  }
  const last = [...values].reverse().find((v) => v != null && isFinite(v));
  svg.setAttribute('aria-label', `${label}, last ${values.length} points: latest ${unit(last)}`);
  const max = Math.max(...known, 1e-9);
  const step = values.length > 1 ? w / (values.length - 1) : w;
  let points = [];
  const flush = () => {
    if (points.length > 1) {
      const line = document.createElementNS(SVG, 'polyline');
      line.setAttribute('points', points.join(' '));
      svg.append(line);
    } else if (points.length === 1) {
      const [x, y] = points[0].split(',');
      const dot = document.createElementNS(SVG, 'circle');
      dot.setAttribute('cx', x);
      dot.setAttribute('cy', y);
      dot.setAttribute('r', '1');
      svg.append(dot);
    }
    points = [];
  };
  values.forEach((v, i) => {
    if (v == null || !isFinite(v)) { flush(); return; }
    const y = h - 1 - (v / max) * (h - 2);
    points.push(`${(i * step).toFixed(1)},${y.toFixed(1)}`);
  });
  flush();
}

export function newSpark() {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('focusable', 'false');
  return svg;
}

/** Sets an element's text only when it changed, so an update does not disturb a screen reader or a selection. */
export function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}
