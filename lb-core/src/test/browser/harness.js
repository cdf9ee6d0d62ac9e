'use strict';
// The plumbing of status-page.js: the line protocol with StatusPageBrowserTest, the record of
// checks, Chromium's launch, screenshots and axe-core. The scenario itself is in status-page.js.
//
// Protocol (stdout/stdin, one line each): the script prints `STEP <what>` when it needs the Java
// side to act (kill an instance, reload the file, read the API with the token) and waits for one
// line back, `ok [answer]` or `error <why>`. Every check prints `PASS <name>` or `FAIL <name>: <why>`;
// the last line is `DONE passed=N failed=M`, and the exit code is 0 only if nothing failed. Any
// other line is a note for the person reading a failure.

const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');

/** A setting the Java side passes in the environment; missing is a harness bug, so it throws. */
function env(name) {
    const value = process.env[name];
    if (!value) {
        throw new Error(`environment variable ${name} is not set (StatusPageBrowserTest sets it)`);
    }
    return value;
}

function say(line) {
    // One write per line, newlines inside flattened: the Java side reads whole lines, and a
    // multi-line error would otherwise look like several protocol lines.
    process.stdout.write(String(line).replace(/\r?\n/g, ' | ') + '\n');
}

const answers = [];
const waiting = [];
let stdinClosed = false;
const input = readline.createInterface({input: process.stdin});
input.on('line', line => {
    const w = waiting.shift();
    if (w) {
        w(line);
    } else {
        answers.push(line);
    }
});
input.on('close', () => {
    stdinClosed = true;
    while (waiting.length) {
        waiting.shift()(null);
    }
});

/**
 * Asks the Java side to do `what` and returns the text after `ok`. Bounded: the Java side's own
 * waits are shorter than `timeoutMs`, so a timeout here means it is stuck.
 */
async function step(what, timeoutMs = 30000) {
    say(`STEP ${what}`);
    const line = await new Promise((resolve, reject) => {
        if (answers.length) {
            resolve(answers.shift());
            return;
        }
        if (stdinClosed) {
            resolve(null);
            return;
        }
        const timer = setTimeout(() => {
            const i = waiting.indexOf(done);
            if (i >= 0) {
                waiting.splice(i, 1);
            }
            reject(new Error(`no answer to STEP ${what} within ${timeoutMs} ms`));
        }, timeoutMs);
        function done(l) {
            clearTimeout(timer);
            resolve(l);
        }
        waiting.push(done);
    });
    if (line === null) {
        throw new Error(`stdin closed before the answer to STEP ${what}`);
    }
    if (line !== 'ok' && !line.startsWith('ok ')) {
        throw new Error(`STEP ${what} failed on the Java side: ${line}`);
    }
    return line.slice(3);
}

const failed = [];
let passed = 0;

/** Runs one check; records PASS or FAIL and returns whether it passed (later checks go on either way). */
async function check(name, fn) {
    try {
        const note = await fn();
        passed++;
        say(`PASS ${name}${note ? ' (' + note + ')' : ''}`);
        return true;
    } catch (e) {
        failed.push(name);
        say(`FAIL ${name}: ${e && e.stack ? e.stack.split('\n').slice(0, 3).join(' ') : e}`);
        return false;
    }
}

function assert(condition, message) {
    if (!condition) {
        throw new Error(message);
    }
}

function finish() {
    say(`DONE passed=${passed} failed=${failed.length}${failed.length ? ' (' + failed.join('; ') + ')' : ''}`);
    return failed.length === 0 ? 0 : 1;
}

// Debian's Chromium as the machine notes say it runs here: without the background-networking flags
// it keeps trying Google's hosts, which this machine's closed network refuses.
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'];

async function launch() {
    const {chromium} = require('playwright-core');
    return chromium.launch({executablePath: env('KODIAK_CHROMIUM'), headless: true, args: CHROMIUM_ARGS, timeout: 30000});
}

/** A full-page screenshot into the test's directory (target/status-page), named by its order. */
let shots = 0;
async function screenshot(page, name) {
    const dir = env('KODIAK_SCREENSHOTS');
    fs.mkdirSync(dir, {recursive: true});
    const file = path.join(dir, `${String(++shots).padStart(2, '0')}-${name}.png`);
    await page.screenshot({path: file, fullPage: true, timeout: 10000});
    say(`screenshot ${file}`);
}

/**
 * Runs axe-core on the page as it is now and fails on serious or critical violations, listing
 * them all. axe is evaluated through the DevTools protocol, which the page's CSP does not govern,
 * so the page under test keeps its real CSP (a context with bypassCSP would hide inline scripts).
 */
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
async function axe(page, label) {
    const hasAxe = await page.evaluate(() => typeof window.axe !== 'undefined');
    if (!hasAxe) {
        await page.evaluate(AXE_SOURCE);
    }
    const result = await page.evaluate(() => window.axe.run(document, {resultTypes: ['violations']}));
    const bad = result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical');
    for (const v of result.violations) {
        say(`axe ${label}: ${v.impact} ${v.id}: ${v.help} — ${v.nodes.map(n => n.target.join(' ')).slice(0, 5).join(', ')}`);
    }
    assert(bad.length === 0, `${bad.length} serious/critical violation(s): ${bad.map(v => v.id).join(', ')}`);
    return `${result.violations.length} minor/moderate, 0 serious/critical`;
}

module.exports = {env, say, step, check, assert, finish, launch, screenshot, axe};
