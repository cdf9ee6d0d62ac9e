package io.kodiak.waf;

import io.kodiak.config.RequestRulesConfig;
import io.kodiak.filter.BodyInspector;
import io.kodiak.http.RequestHead;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The own rules of one request that wait for its body: those with a {@code body} whose other
 * conditions held on the head, as bits of {@code pending}. Checked in their order on the first
 * {@code body-limit} bytes once the whole body is in; a longer body is passed uninspected, or
 * refused with 413 as soon as it is seen with {@code body-over-limit: refuse}.
 *
 * <p>Made per request, only for a request with a body that such a rule could deny. Threading:
 * called on the client connection's selector thread; matching is linear in the bytes held.
 */
final class BodyRules implements BodyInspector {
    private static final Logger LOG = Logger.getLogger(RequestRules.class.getName());

    private final RequestRules rules;
    private final RequestRulesConfig config;
    private final long pending;
    private final RequestHead head;
    private final String client;

    BodyRules(RequestRules rules, long pending, RequestHead head, String client) {
        this.rules = rules;
        this.config = rules.config();
        this.pending = pending;
        this.head = head;
        this.client = client;
    }

    @Override
    public int limit() {
        return config.bodyLimit();
    }

    @Override
    public long maxBody() {
        return config.refuseLongBody() ? config.bodyLimit() : Long.MAX_VALUE;
    }

    @Override
    public int inspect(byte[] held, int length, long total) {
        if (total > config.bodyLimit()) {
            if (LOG.isLoggable(Level.FINE)) {
                LOG.fine("request-rules: body of " + head.method() + " " + head.target() + " from " + client + " ("
                        + total + " bytes) is over body-limit " + config.bodyLimit() + ": passed uninspected");
            }
            return 0;
        }
        for (long bits = pending; bits != 0; bits &= bits - 1) {
            RequestRulesConfig.Rule r = rules.bodyRule(Long.numberOfTrailingZeros(bits));
            if (r.body().matches(held, 0, length, config.bodyLimit())) {
                RequestRules.logDenial(r.id(), head, client);
                return r.status();
            }
        }
        return 0;
    }

    @Override
    public String toString() {
        return "BodyRules[" + Long.bitCount(pending) + " pending, limit " + config.bodyLimit() + "]";
    }
}
