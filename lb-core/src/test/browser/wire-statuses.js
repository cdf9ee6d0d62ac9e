'use strict';

/**
 * The status of every answer a page got, as it came off the wire, by URL. Chromium tells Playwright
 * nothing of an answer it blocked (a CORS read, or a no-cors one the admin's
 * Cross-Origin-Resource-Policy withholds), but the DevTools protocol still reports its status: that
 * is how the test sees that the admin refused, rather than answered and had the browser hide it.
 */
async function wireStatuses(context, page) {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    const urls = new Map();      // requestId -> URL
    const early = new Map();     // requestId -> status, when the status came first (the two events race)
    const statuses = new Map();  // URL -> status
    const waiters = [];
    const record = (url, status) => {
        statuses.set(url, status);
        waiters.filter(w => w.url === url).forEach(w => w.resolve(status));
    };
    cdp.on('Network.requestWillBeSent', e => {
        urls.set(e.requestId, e.request.url);
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
    return (url, timeoutMs = 10000) => statuses.has(url) ? Promise.resolve(statuses.get(url)) : new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer to ${url} within ${timeoutMs} ms; answers seen: `
            + JSON.stringify([...statuses]) + `, requests: ${JSON.stringify([...urls.values()])}`)), timeoutMs);
        waiters.push({url, resolve: status => {
            clearTimeout(timer);
            resolve(status);
        }});
    });
}

module.exports = {wireStatuses};
