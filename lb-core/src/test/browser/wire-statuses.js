'use strict';

/**
 * The status of every answer a page got, as it came off the wire, by URL, and its body where
 * Chromium still has it. Chromium tells Playwright
 * nothing of an answer it blocked (a CORS read, or a no-cors one the admin's
 * Cross-Origin-Resource-Policy withholds), but the DevTools protocol still reports its status: that
 * is how the test sees that the admin refused, rather than answered and had the browser hide it.
 * Returns {statusOf(url), bodyOf(url, optional)}: the body says why the admin refused (its
 * {"error": ...}); a navigation's body (the forged form post) is always kept, a blocked read's often
 * not, which bodyOf(url, true) answers with null.
 */
async function wireStatuses(context, page) {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    const urls = new Map();      // requestId -> URL
    const ids = new Map();       // URL -> requestId (the last request to it)
    const ended = new Map();     // requestId -> 'finished' | 'failed: <why>'
    const endWaiters = [];
    const early = new Map();     // requestId -> status, when the status came first (the two events race)
    const statuses = new Map();  // URL -> status
    const waiters = [];
    const record = (url, status) => {
        statuses.set(url, status);
        waiters.filter(w => w.url === url).forEach(w => w.resolve(status));
    };
    cdp.on('Network.requestWillBeSent', e => {
        urls.set(e.requestId, e.request.url);
        ids.set(e.request.url, e.requestId);
        if (early.has(e.requestId)) {
            record(e.request.url, early.get(e.requestId));
        }
    });
    cdp.on('Network.responseReceivedExtraInfo', e => {
        if (urls.has(e.requestId)) {
            record(urls.get(e.requestId), e.statusCode);
        } else {
            early.set(e.requestId, e.statusCode);
        }
    });
    const end = (id, how) => {
        ended.set(id, how);
        endWaiters.filter(w => w.id === id).forEach(w => w.resolve(how));
    };
    cdp.on('Network.loadingFinished', e => end(e.requestId, 'finished'));
    cdp.on('Network.loadingFailed', e => end(e.requestId, `failed: ${e.errorText}${e.blockedReason ? ' ' + e.blockedReason : ''}`));
    const statusOf = (url, timeoutMs = 10000) => statuses.has(url) ? Promise.resolve(statuses.get(url)) : new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer to ${url} within ${timeoutMs} ms; answers seen: `
            + JSON.stringify([...statuses]) + `, requests: ${JSON.stringify([...urls.values()])}`)), timeoutMs);
        waiters.push({url, resolve: status => {
            clearTimeout(timer);
            resolve(status);
        }});
    });
    const bodyOf = async (url, optional = false, timeoutMs = 10000) => {
        await statusOf(url, timeoutMs);
        const id = ids.get(url);
        const how = ended.has(id) ? ended.get(id) : await new Promise(resolve => {
            const timer = setTimeout(() => resolve('no end seen'), timeoutMs);
            endWaiters.push({id, resolve: h => {
                clearTimeout(timer);
                resolve(h);
            }});
        });
        try {
            const r = await cdp.send('Network.getResponseBody', {requestId: id});
            return r.base64Encoded ? Buffer.from(r.body, 'base64').toString('utf8') : r.body;
        } catch (e) {
            if (optional) {
                return null;
            }
            throw new Error(`no body for ${url} (loading ${how}): ${e.message}`);
        }
    };
    return {statusOf, bodyOf};
}

module.exports = {wireStatuses};
