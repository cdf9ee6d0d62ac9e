'use strict';
// Issue 19's "How it is proven": the status page in headless Chromium, with Kodiak in front of
// real Gunicorn instances, driven by StatusPageBrowserTest (which starts everything and answers
// the STEP lines; see harness.js for the protocol). The ids, classes and data- attributes it
// selects are the page's fixed contract with this test (issue 19): the page keeps them.
//
// Order matters: the cross-origin and no-CSRF refusals run while upstream b is READY, so "nothing
// changed" is a plain READY (b's own Weight and Maint come after them); the drain runs on a, the
// kill on c, the reload adds d.

const {env, say, step, check, assert, finish, launch, screenshot, axe} = require('./harness');
const {wireStatuses} = require('./wire-statuses');

const ADMIN = env('KODIAK_ADMIN');            // http://127.0.0.1:PORT, the page's own origin
const TOKEN = env('KODIAK_TOKEN');
const OTHER_SITE = env('KODIAK_OTHER_SITE');  // http://127.0.0.2:PORT: another site (SameSite keeps the cookie)
const OTHER_PORT = env('KODIAK_OTHER_PORT');  // http://127.0.0.1:PORT: same site, another origin (the cookie goes along)
const DOWN_BOUND_MS = Number(env('KODIAK_DOWN_BOUND_MS'));
const STATE_B = '/v1/pools/app/upstreams/b/state';

const row = name => `#upstreams tr[data-upstream="${name}"]`;
const firstNumber = text => {
    const m = /\d+/.exec(text || '');
    return m ? Number(m[0]) : NaN;
};

/** Upstream b through the API with the Bearer token (the Java side reads it): its admin state. */
async function adminStateOfB() {
    const json = JSON.parse(await step('api-get /v1/pools/app/upstreams/b'));
    return json.admin_state;
}

/** The reason in a refusal's body ({"error": "..."}), or null when there is no body to read. */
function refusal(body) {
    if (body === null || body === undefined) {
        return null;
    }
    try {
        return String(JSON.parse(body).error);
    } catch (e) {
        return `not a JSON refusal: ${String(body).slice(0, 100)}`;
    }
}

/** A fetch from the page's own origin, as its script would make one; returns status and body. */
function fetchFromPage(page, url, init) {
    return page.evaluate(async ([u, i]) => {
        const r = await fetch(u, i);
        return {status: r.status, body: await r.text()};
    }, [url, init]);
}

async function main() {
    const browser = await launch();
    try {
        const context = await browser.newContext({viewport: {width: 1400, height: 1000}});
        context.setDefaultTimeout(10000);
        const page = await context.newPage();
        const pageErrors = [];
        page.on('pageerror', e => pageErrors.push(`uncaught: ${e.message}`));
        page.on('console', m => {
            // A blocked inline script or style is a CSP report on the console; 4xx answers the
            // checks below provoke are console errors too, and are expected.
            if (/Content Security Policy/i.test(m.text())) {
                pageErrors.push(`CSP: ${m.text()}`);
            }
        });

        await scenarioReadOnly(page);
        await crossOrigin(context, 'before login');
        await scenarioLogin(page);
        await crossOrigin(context, 'logged in');
        await scenarioWithoutCsrf(page);
        await scenarioDrain(page);
        await scenarioWeightAndMaint(page);
        await scenarioKill(page);
        await scenarioReload(page);
        await scenarioPhone(page);
        await scenarioLogout(page);
        await check('no uncaught script error and no CSP violation on the page', () => {
            assert(pageErrors.length === 0, pageErrors.join('; '));
        });
    } finally {
        await browser.close();
    }
}

async function scenarioReadOnly(page) {
    await check('the page loads at / and lists the pool, the listener and every upstream', async () => {
        const response = await page.goto(ADMIN + '/');
        assert(response.status() === 200, `GET / answered ${response.status()}`);
        for (const name of ['app/a', 'app/b', 'app/c']) {
            await page.locator(row(name)).waitFor();
        }
        await page.locator('#pools tr[data-pool="app"]').waitFor();
        await page.locator('#listeners tr[data-listener="web"]').waitFor();
    });
    await check('#live says live while polls succeed', () =>
        page.waitForFunction(() => /live/.test(document.querySelector('#live')?.textContent)
            && !/reconnecting/.test(document.querySelector('#live')?.textContent)));
    await check('#instance shows the version and the config version', async () => {
        const kodiak = JSON.parse(await step('api-get /v1/status')).kodiak;
        assert(kodiak.version && kodiak.config_version, `/v1/status says ${JSON.stringify(kodiak)}`);
        for (const want of [kodiak.version, kodiak.config_version]) {
            await page.locator('#instance', {hasText: want}).waitFor({timeout: 5000});
        }
        return `${kodiak.version}, config ${kodiak.config_version}`;
    });
    await check('read-only before login: change buttons disabled', async () => {
        await page.locator('#session-state', {hasText: 'read-only'}).waitFor();
        assert(await page.locator('button[aria-label="Drain app/a"]').isDisabled(), 'Drain app/a is enabled');
    });
    await check('sparklines: svg.spark with role=img in .rate and .latency, drawn from /v1/history', async () => {
        // An svg.spark is there before any history ("no history yet"): only a label naming the
        // latest value or a line with points shows that /v1/history arrived and was drawn.
        const notes = [];
        for (const cell of ['.rate', '.latency']) {
            const sel = `${row('app/a')} ${cell} svg.spark[role="img"]`;
            await page.waitForFunction(s => {
                const svg = document.querySelector(s);
                return !!svg && (/latest/.test(svg.getAttribute('aria-label') || '')
                    || [...svg.querySelectorAll('polyline')].some(l => (l.getAttribute('points') || '').trim().split(/\s+/).length > 1));
            }, sel, {timeout: 12000}); // /v1/history is fetched every 5 s
            notes.push(await page.locator(sel).getAttribute('aria-label'));
        }
        return notes.join('; ');
    });
    await check('#live says reconnecting while /v1/status fails, then live again', async () => {
        await page.route('**/v1/status', route => route.abort());
        await page.waitForFunction(() => /reconnecting/.test(document.querySelector('#live')?.textContent), null, {timeout: 6000});
        await page.unroute('**/v1/status');
        await page.waitForFunction(() => /live/.test(document.querySelector('#live')?.textContent)
            && !/reconnecting/.test(document.querySelector('#live')?.textContent), null, {timeout: 6000});
    });
    await screenshot(page, 'read-only');
}

/**
 * An attack from another origin: its page auto-submits a form post to b's state URL, then another
 * of its pages reads /v1/status with credentials, as a CORS read and as a no-cors one (which
 * carries no Origin header: only Sec-Fetch-Site gives it away). Run before and after login, so once
 * with the session cookie in the browser; the attack pages are served by the Java side's little
 * HTTP servers (OtherOrigin).
 */
async function attack(context, origin, label) {
    const attacker = await context.newPage();
    try {
        const {statusOf, bodyOf} = await wireStatuses(context, attacker);
        await attacker.goto(`${origin}/csrf?path=${encodeURIComponent(STATE_B)}`);
        const status = await statusOf(ADMIN + STATE_B);
        // A form post always carries Origin, so the Origin check refuses it first, before the
        // cookie or the CSRF token is even looked at (the post is a navigation: its body is readable).
        const reason = refusal(await bodyOf(ADMIN + STATE_B));
        assert(status === 403 && /^Origin "?http:\/\/127\.0\.0\.\d+:\d+/.test(reason),
            `the form post from ${label} answered ${status} "${reason}", not 403 for its Origin`);
        const state = await adminStateOfB();
        assert(state === 'ready', `b is ${state} after the form post from ${label}`);

        await attacker.goto(`${origin}/read?path=${encodeURIComponent('/v1/status')}`);
        const cors = await statusOf(ADMIN + '/v1/status?via=cors');
        const noCors = await statusOf(ADMIN + '/v1/status?via=no-cors');
        assert(cors === 403 && noCors === 403, `reads of /v1/status from ${label} answered ${cors} (cors), ${noCors} (no-cors)`);
        // The browser withholds these answers' bodies even from DevTools, mostly; when one is there,
        // its reason must be the right one: the CORS read carries Origin, the no-cors one only Sec-Fetch-Site.
        const corsWhy = refusal(await bodyOf(ADMIN + '/v1/status?via=cors', true));
        const noCorsWhy = refusal(await bodyOf(ADMIN + '/v1/status?via=no-cors', true));
        assert(corsWhy === null || /^Origin /.test(corsWhy), `the CORS read was refused for: ${corsWhy}`);
        assert(noCorsWhy === null || /^Sec-Fetch-Site: (cross|same)-site/.test(noCorsWhy), `the no-cors read was refused for: ${noCorsWhy}`);
        await attacker.waitForFunction(() => document.title.startsWith('read:'));
        const seen = await attacker.title();
        assert(seen === 'read: blocked', `the page at ${label} read the status: ${seen}`);
        const why = w => w === null ? 'body withheld' : `"${w.slice(0, 30)}..."`;
        return `form post ${status} "${reason.slice(0, 60)}...", reads ${cors} (${why(corsWhy)}) and ${noCors} (${why(noCorsWhy)})`;
    } finally {
        await attacker.close();
    }
}

async function crossOrigin(context, when) {
    await check(`${when}: a form post and a read from another site (127.0.0.2) are refused`,
        () => attack(context, OTHER_SITE, 'another site'));
    // Same site, so once logged in SameSite=Strict sends the cookie along: only the Origin check
    // and the CSRF token stop this one.
    await check(`${when}: a form post and a read from another port of 127.0.0.1 are refused`,
        () => attack(context, OTHER_PORT, 'another port'));
}

async function scenarioLogin(page) {
    await check('the login dialog refuses a wrong token with a message', async () => {
        await page.click('#login-open');
        await page.locator('dialog#login').waitFor({state: 'visible'});
        await page.fill('#login-token', 'not-the-token-0123456789');
        await page.locator('#login-form button[type="submit"], #login-form button:not([type])', {hasText: 'Log in'}).click();
        await page.waitForFunction(() => (document.querySelector('#login-error')?.textContent || '').trim().length > 0);
        assert(await page.locator('#session-state', {hasText: 'read-only'}).count() === 1, 'not read-only after a wrong token');
    });
    await check('logging in with the token through the dialog', async () => {
        if (!(await page.locator('dialog#login').isVisible())) {
            await page.click('#login-open');
        }
        await page.fill('#login-token', TOKEN);
        await page.locator('#login-form button[type="submit"], #login-form button:not([type])', {hasText: 'Log in'}).click();
        await page.locator('#session-state', {hasText: 'logged in'}).waitFor();
        await page.locator('#logout').waitFor({state: 'visible'});
        await page.waitForFunction(() => document.querySelector('button[aria-label="Drain app/a"]')?.disabled === false);
        const cookies = await page.context().cookies(ADMIN);
        // Named after the admin's port, so two Kodiaks (or two SSH tunnels) on one host keep theirs apart.
        const name = `kodiak_admin_${new URL(ADMIN).port}`;
        const cookie = cookies.find(c => c.name === name);
        assert(cookie && cookie.httpOnly && cookie.sameSite === 'Strict' && cookie.path === '/' && !cookie.secure,
            `cookie ${name}: ${JSON.stringify(cookie)} (all: ${cookies.map(c => c.name).join(', ')})`);
    });
    await check('a second tab has the cookie but not the CSRF token: read-only there, buttons disabled', async () => {
        const tab = await page.context().newPage();
        try {
            await tab.goto(ADMIN + '/');
            await tab.locator(row('app/a')).waitFor();
            await tab.locator('#session-state', {hasText: 'read-only'}).waitFor();
            await tab.locator('#login-open').waitFor({state: 'visible'});
            // Past a poll or two, in case the page first drew itself logged in from the cookie alone.
            await tab.waitForResponse(r => r.url().endsWith('/v1/status'));
            await tab.waitForResponse(r => r.url().endsWith('/v1/status'));
            assert(await tab.locator('#session-state', {hasText: 'read-only'}).count() === 1, 'the second tab is not read-only');
            assert(await tab.locator('button[aria-label="Drain app/a"]').isDisabled(), 'Drain app/a is enabled in the second tab');
            const session = JSON.parse((await fetchFromPage(tab, '/v1/session', {})).body);
            assert(!('csrf' in session), `GET /v1/session hands out the CSRF token: ${JSON.stringify(session)}`);
        } finally {
            await tab.close();
        }
        await page.locator('#session-state', {hasText: 'logged in'}).waitFor();
        assert(await page.locator('button[aria-label="Drain app/a"]').isEnabled(), 'the first tab lost its login');
    });
    await check('keyboard focus on a row\'s button survives two updates of the page', async () => {
        const drain = page.locator('button[aria-label="Drain app/a"]');
        await drain.focus();
        for (let i = 0; i < 2; i++) {
            await page.waitForResponse(r => r.url().endsWith('/v1/status') && r.status() === 200, {timeout: 5000});
        }
        await page.waitForTimeout(200); // the answer's rendering, after the response event
        const focused = await page.evaluate(() => document.activeElement?.getAttribute('aria-label') || document.activeElement?.tagName);
        assert(focused === 'Drain app/a', `the focus moved to ${focused}`);
    });
    await screenshot(page, 'logged-in');
    await check('axe: no serious or critical violation, logged in', () => axe(page, 'logged in'));
    await check('axe: no serious or critical violation with the confirm dialog open; Cancel changes nothing', async () => {
        await page.click('button[aria-label="Maint app/b"]');
        await page.locator('dialog#confirm').waitFor({state: 'visible'});
        await screenshot(page, 'confirm-dialog');
        const note = await axe(page, 'confirm dialog');
        await page.click('#confirm-cancel');
        await page.locator('dialog#confirm').waitFor({state: 'hidden'});
        assert(await adminStateOfB() === 'ready', 'b changed after Cancel');
        return note;
    });
}

async function scenarioWithoutCsrf(page) {
    await check('a change from the page\'s origin without X-Kodiak-CSRF is refused with 403', async () => {
        const r = await fetchFromPage(page, STATE_B, {method: 'POST', headers: {'Content-Type': 'application/json'},
            body: JSON.stringify({state: 'drain'})});
        assert(r.status === 403 && /CSRF/.test(refusal(r.body)), `answered ${r.status} ${r.body}, not 403 for the CSRF token`);
        assert(await adminStateOfB() === 'ready', 'b changed');
    });
    await check('a change with the CSRF token but without the cookie is refused with 401', async () => {
        // Only the login's answer carried the token; the page keeps it in this tab's sessionStorage.
        const csrf = await page.evaluate(() => sessionStorage.getItem('kodiak-csrf'));
        assert(csrf, 'no kodiak-csrf in sessionStorage');
        const r = await fetchFromPage(page, STATE_B, {method: 'POST', credentials: 'omit',
            headers: {'Content-Type': 'application/json', 'X-Kodiak-CSRF': csrf}, body: JSON.stringify({state: 'drain'})});
        assert(r.status === 401 && /bearer token|session/i.test(refusal(r.body)), `answered ${r.status} ${r.body}`);
        assert(await adminStateOfB() === 'ready', 'b changed');
    });
    await check('no change by GET', async () => {
        await fetchFromPage(page, STATE_B + '?state=drain', {});
        assert(await adminStateOfB() === 'ready', 'b changed');
    });
}

/** Records the row's state, in-flight and drain texts every 50 ms inside the page. */
function recordRow(page, name) {
    return page.evaluate(sel => {
        window.__samples = [];
        window.__sampler = setInterval(() => {
            const r = document.querySelector(sel);
            if (r) {
                const text = cell => (r.querySelector(cell)?.textContent || '').trim();
                window.__samples.push({state: r.dataset.state, inFlight: text('.in-flight'), drain: text('.drain')});
            }
        }, 50);
    }, row(name));
}

async function stopRecording(page) {
    return page.evaluate(() => {
        clearInterval(window.__sampler);
        return window.__samples;
    });
}

async function scenarioDrain(page) {
    await check('filters: State DOWN hides every UP row; Search and Pool narrow the table', async () => {
        await page.selectOption('#filter-state', 'DOWN');
        await page.locator(row('app/a')).waitFor({state: 'hidden'});
        await page.selectOption('#filter-state', '');
        await page.fill('#filter-text', 'nothing-is-called-this');
        await page.locator(row('app/a')).waitFor({state: 'hidden'});
        await page.fill('#filter-text', '');
        await page.selectOption('#filter-pool', 'app');
        await page.locator(row('app/a')).waitFor({state: 'visible'});
        await page.selectOption('#filter-pool', '');
    });
    await check('sorting by Name moves the rows (aria-sort follows)', async () => {
        const th = page.locator('#upstreams th[aria-sort]').filter({has: page.getByRole('button', {name: 'Name', exact: true})});
        const order = () => page.$$eval('#upstreams tbody tr[data-upstream]', rs => rs.map(r => r.dataset.upstream).join(' '));
        const seen = [];
        for (const want of ['ascending', 'descending', 'ascending']) {
            await th.locator('button').click();
            const sort = await th.getAttribute('aria-sort');
            if (sort !== want) {
                await th.locator('button').click(); // the first click may start either way round
            }
            assert(await th.getAttribute('aria-sort') === want, `aria-sort is ${await th.getAttribute('aria-sort')}, not ${want}`);
            const expected = want === 'ascending' ? 'app/a app/b app/c' : 'app/c app/b app/a';
            await page.waitForFunction(([sel, e]) => [...document.querySelectorAll(sel)].map(r => r.dataset.upstream).join(' ') === e,
                ['#upstreams tbody tr[data-upstream]', expected], {timeout: 3000}).catch(() => {});
            seen.push(`${want}: ${await order()}`);
            assert(await order() === expected, `sorted ${want} by Name the rows are ${await order()}`);
        }
        return seen.join('; ');
    });
    const loaded = await check('load: a request has just started on a', () => step('loaded a', 40000));
    await check('drain a with the button under load: DRAIN, in flight above 0 then 0, "app/a drained"', async () => {
        assert(loaded, 'no load on a, so the drain could not be seen under load');
        await recordRow(page, 'app/a');
        await page.click('button[aria-label="Drain app/a"]');
        await page.locator('dialog#confirm').waitFor({state: 'visible'});
        assert(await page.locator('#confirm-wait').isChecked(), '"Wait until drained" is not checked by default');
        await page.click('#confirm-ok');
        await page.locator(`${row('app/a')}[data-state="DRAIN"]`).waitFor({timeout: 5000});
        await screenshot(page, 'draining');
        await page.locator('#messages', {hasText: 'app/a drained'}).waitFor({timeout: 30000});
        await page.waitForFunction(sel => (document.querySelector(sel + ' .in-flight')?.textContent || '').trim().startsWith('0'),
            row('app/a'), {timeout: 5000});
        const samples = (await stopRecording(page)).filter(s => s.state === 'DRAIN');
        const busy = samples.filter(s => firstNumber(s.inFlight) > 0);
        assert(busy.length > 0, `never more than 0 in flight while DRAIN: ${JSON.stringify(samples.slice(0, 5))}`);
        assert(busy.some(s => /in flight/i.test(s.drain) && /\d/.test(s.drain)),
            `.drain never showed progress: ${JSON.stringify(busy.slice(0, 3))}`);
        await screenshot(page, 'drained');
        const state = JSON.parse(await step('api-get /v1/pools/app/upstreams/a')).admin_state;
        assert(state === 'drain', `the API says a is ${state}`);
        return `${busy.length} samples with requests in flight, up to ${Math.max(...busy.map(s => firstNumber(s.inFlight)))}`;
    });
    await check('Ready brings a back UP, with a line in #messages', async () => {
        const before = await page.locator('#messages').textContent();
        await page.click('button[aria-label="Ready app/a"]');
        await confirmIfAsked(page);
        await page.locator(`${row('app/a')}[data-state="UP"]`).waitFor({timeout: 5000});
        await page.waitForFunction(b => document.querySelector('#messages')?.textContent !== b, before);
    });
}

/** Confirms an action whose dialog may or may not ask (Ready may go through at once). */
async function confirmIfAsked(page) {
    if (await page.locator('dialog#confirm').isVisible()) {
        await page.click('#confirm-ok');
    }
}

async function scenarioWeightAndMaint(page) {
    await check('Weight sets b\'s weight through the confirmation, and back', async () => {
        for (const weight of ['3', '1']) {
            await page.click('button[aria-label="Weight app/b"]');
            await page.locator('dialog#confirm').waitFor({state: 'visible'});
            await page.fill('#confirm-weight', weight);
            await page.click('#confirm-ok');
            // The weight itself first (b's cell says "3 (configured 1)" after the first change, which
            // contains "1" too): the whole text, or the number before its note.
            await page.waitForFunction(([sel, w]) => new RegExp(`^${w}(\\s*\\(|$)`).test((document.querySelector(sel)?.textContent || '').trim()),
                [`${row('app/b')} .weight`, weight], {timeout: 5000});
            const api = JSON.parse(await step('api-get /v1/pools/app/upstreams/b'));
            assert(String(api.weight) === weight, `the API says b's weight is ${api.weight}`);
        }
    });
    await check('Maint (without waiting) takes b to MAINT, Ready brings it back UP', async () => {
        await page.click('button[aria-label="Maint app/b"]');
        await page.locator('dialog#confirm').waitFor({state: 'visible'});
        await page.uncheck('#confirm-wait');
        await page.click('#confirm-ok');
        await page.locator(`${row('app/b')}[data-state="MAINT"]`).waitFor({timeout: 5000});
        const api = JSON.parse(await step('api-get /v1/pools/app/upstreams/b'));
        assert(api.admin_state === 'maint', `the API says b is ${api.admin_state}`);
        await page.click('button[aria-label="Ready app/b"]');
        await confirmIfAsked(page);
        // Leaving MAINT restarts b's checks with b DOWN until one passes: up to an interval, then a poll.
        await page.locator(`${row('app/b')}[data-state="UP"]`).waitFor({timeout: 8000});
    });
}

async function scenarioKill(page) {
    await check(`a killed instance turns DOWN with its reason within ${DOWN_BOUND_MS} ms`, async () => {
        await step('kill c');
        const start = Date.now();
        await page.locator(`${row('app/c')}[data-state="DOWN"]`).waitFor({timeout: DOWN_BOUND_MS});
        const took = Date.now() - start;
        const text = (await page.locator(`${row('app/c')} .state`).textContent()).trim();
        assert(/^DOWN\b/.test(text) && text.replace(/^DOWN\W*/, '').length > 0, `.state says "${text}"`);
        await screenshot(page, 'instance-down');
        return `${took} ms, "${text}"`;
    });
}

async function scenarioReload(page) {
    await check('a reload that adds d shows it without reloading the page', async () => {
        await page.evaluate(() => { window.__sameDocument = true; });
        const version = await step('reload-add d');
        await page.locator(row('app/d')).waitFor({timeout: 5000});
        await page.locator('#instance', {hasText: version}).waitFor({timeout: 5000});
        assert(await page.evaluate(() => window.__sameDocument === true), 'the page was reloaded');
        await screenshot(page, 'after-reload');
        return `config version ${version}`;
    });
}

async function scenarioPhone(page) {
    await check('on a phone-sized screen (390 x 844): every upstream still there, axe still clean', async () => {
        await page.setViewportSize({width: 390, height: 844});
        try {
            for (const name of ['app/a', 'app/b', 'app/c', 'app/d']) {
                await page.locator(row(name)).waitFor();
            }
            await screenshot(page, 'phone');
            return await axe(page, 'phone');
        } finally {
            await page.setViewportSize({width: 1400, height: 1000});
        }
    });
}

async function scenarioLogout(page) {
    await check('Log out: read-only again, buttons disabled, the session ended on the server', async () => {
        await page.click('#logout');
        await page.locator('#session-state', {hasText: 'read-only'}).waitFor();
        await page.waitForFunction(() => document.querySelector('button[aria-label="Drain app/a"]')?.disabled === true);
        const session = JSON.parse((await fetchFromPage(page, '/v1/session', {})).body);
        assert(session.authenticated === false, `session: ${JSON.stringify(session)}`);
    });
}

main().then(
    () => process.exit(finish()),
    e => {
        say(`FAIL the scenario stopped: ${e && e.stack ? e.stack : e}`);
        finish();
        process.exit(1);
    });
