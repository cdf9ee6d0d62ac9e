package io.kodiak.waf;

import io.kodiak.config.BundledRule;
import io.kodiak.config.RequestRulesConfig;
import io.kodiak.config.RequestRulesConfig.Rule;
import io.kodiak.config.RuleMatch;
import io.kodiak.filter.RequestContext;
import io.kodiak.filter.RequestFilter;
import io.kodiak.http.HeaderFields;
import io.kodiak.http.RequestHead;
import io.kodiak.http.ResponseEncoder;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code request-rules}, a small WAF, as a request filter: own rules in order, then the bundled
 * ones; the first that matches decides. A deny answers with its status (and the error pages, as
 * any answer of a filter gets them); an own {@code allow} lets the request past every rule after
 * it. An own rule with a {@code body} whose other conditions hold is left pending until the body
 * is in ({@link BodyRules}); a rule that denies on the head alone answers at once, before the
 * body is read.
 *
 * <p>Cost: built once per configuration. With only bundled rules, a request that none denies
 * allocates nothing (the target, path and fields are read in place), unless its target has a
 * {@code %} ({@link PathTraversal} decodes it again, one buffer) or {@code sql-xss-probes} is on
 * and the request has a query (decoded once). Own rules allocate only where a regular
 * expression runs (RE2/J's matcher) or a query is decoded. Every read is bounded:
 * {@code inspect-limit} characters of a value, {@code body-limit} bytes of a body.
 *
 * <p>Denials are logged at FINE (logger {@code io.kodiak.waf.RequestRules}) with the rule id,
 * method, target and client address: never above FINE, so that a scan cannot flood the log.
 *
 * <p>Threading: immutable; called on selector threads concurrently, never blocks.
 */
public final class RequestRules implements RequestFilter {
    private static final Logger LOG = Logger.getLogger(RequestRules.class.getName());
    private static final String TEXT = "text/plain; charset=utf-8";

    private final RequestRulesConfig config;
    private final Rule[] rules;
    /** Each own rule's bit among the pending body rules, or -1 for a rule without a body. */
    private final int[] bodyBit;
    /** The rule with each body bit. */
    private final Rule[] bodyRules;
    private final byte[][] ruleBodies;
    private final byte[] bundledBody;
    private final boolean traversal;
    private final boolean scanners;
    private final boolean cookies;
    private final boolean methods;
    private final boolean probes;
    private final String[] allowedMethods;
    private final boolean decodesQuery;

    public RequestRules(RequestRulesConfig c) {
        this.config = c;
        this.rules = c.rules().toArray(new Rule[0]);
        this.bodyBit = new int[rules.length];
        int bits = 0;
        for (int i = 0; i < rules.length; i++) {
            bodyBit[i] = rules[i].body() == null ? -1 : bits++;
        }
        this.bodyRules = new Rule[bits];
        this.ruleBodies = new byte[rules.length][];
        boolean query = false;
        for (int i = 0; i < rules.length; i++) {
            if (bodyBit[i] >= 0) {
                bodyRules[bodyBit[i]] = rules[i];
            }
            ruleBodies[i] = text(rules[i].status());
            query |= rules[i].query() != null;
        }
        this.bundledBody = text(c.status());
        this.traversal = c.bundled().contains(BundledRule.PATH_TRAVERSAL);
        this.scanners = c.bundled().contains(BundledRule.SCANNER_PATHS);
        this.cookies = c.bundled().contains(BundledRule.BAD_COOKIES);
        this.methods = c.bundled().contains(BundledRule.UNUSUAL_METHODS);
        this.probes = c.bundled().contains(BundledRule.SQL_XSS_PROBES);
        this.allowedMethods = c.allowedMethods().toArray(new String[0]);
        this.decodesQuery = query || probes;
    }

    private static byte[] text(int status) {
        return (status + " " + ResponseEncoder.reason(status) + "\n").getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public Verdict onRequest(RequestContext ctx) {
        RequestHead h = ctx.head();
        String query = decodesQuery ? decodedQuery(h) : null;
        long pending = 0;
        for (int i = 0; i < rules.length; i++) {
            Rule r = rules[i];
            if (!headMatches(r, h, query)) {
                continue;
            }
            if (bodyBit[i] >= 0) {
                if (h.hasBody()) {
                    pending |= 1L << bodyBit[i];
                }
                continue;
            }
            if (r.allow()) {
                return withBody(ctx, pending);
            }
            return deny(ctx, r.id(), r.status(), ruleBodies[i]);
        }
        String bundled = bundled(h, query);
        if (bundled != null) {
            return deny(ctx, bundled, config.status(), bundledBody);
        }
        return withBody(ctx, pending);
    }

    /** The id of the bundled rule that denies {@code h}, or null. */
    private String bundled(RequestHead h, String query) {
        if (methods && !allowed(h.method())) {
            return BundledRule.UNUSUAL_METHODS.id();
        }
        if (traversal && PathTraversal.found(h.bytes(), h.targetStart(), h.targetEnd())) {
            return BundledRule.PATH_TRAVERSAL.id();
        }
        if (scanners && ScannerPaths.found(h.path())) {
            return BundledRule.SCANNER_PATHS.id();
        }
        if (cookies && BadCookies.found(h.fields(), config.cookieMaxBytes(), config.cookieMaxCount())) {
            return BundledRule.BAD_COOKIES.id();
        }
        if (probes && query != null && Probes.found(bounded(query))) {
            return BundledRule.SQL_XSS_PROBES.id();
        }
        return null;
    }

    private boolean allowed(String method) {
        for (String m : allowedMethods) {
            if (m.equals(method)) {
                return true;
            }
        }
        return false;
    }

    private CharSequence bounded(String s) {
        return s.length() > config.inspectLimit() ? s.substring(0, config.inspectLimit()) : s;
    }

    /** Whether every condition of {@code r} but its body holds. */
    private boolean headMatches(Rule r, RequestHead h, String query) {
        if (!r.methods().isEmpty() && !r.methods().contains(h.method())) {
            return false;
        }
        int limit = config.inspectLimit();
        if (r.path() != null && !r.path().matches(h.path(), limit)) {
            return false;
        }
        if (r.query() != null && (query == null || !r.query().matches(query, limit))) {
            return false;
        }
        for (Map.Entry<String, RuleMatch> e : r.headers().entrySet()) {
            if (!header(h.fields(), e.getKey(), e.getValue(), limit)) {
                return false;
            }
        }
        return true;
    }

    /** Whether a field {@code lowerName} satisfies {@code m} (any of them; absent: none there). */
    private static boolean header(HeaderFields f, String lowerName, RuleMatch m, int limit) {
        boolean found = false;
        for (int i = f.indexOf(lowerName, 0); i >= 0; i = f.indexOf(lowerName, i + 1)) {
            found = true;
            if (m.kind() == RuleMatch.Kind.PRESENT) {
                return true;
            }
            if (m.kind() != RuleMatch.Kind.ABSENT && m.matches(f.bytes(), f.valueStart(i), f.valueEnd(i), limit)) {
                return true;
            }
        }
        return m.kind() == RuleMatch.Kind.ABSENT && !found;
    }

    /**
     * The query percent-decoded as the app behind will read it ({@link Unescape#query}: '+' a
     * space, each valid escape decoded, a malformed one left as sent, UTF-8), or null without one.
     * At most 4 bytes per character of {@code inspect-limit} are decoded: rules read no further.
     */
    private String decodedQuery(RequestHead h) {
        byte[] b = h.bytes();
        int q = h.targetStart();
        while (q < h.targetEnd() && b[q] != '?') {
            q++;
        }
        if (q >= h.targetEnd()) {
            return null;
        }
        return Unescape.query(b, q + 1, h.targetEnd(), (int) Math.min(Integer.MAX_VALUE, 4L * config.inspectLimit()));
    }

    private Verdict withBody(RequestContext ctx, long pending) {
        if (pending != 0) {
            ctx.inspectBody(new BodyRules(this, pending, ctx.head(), ctx.clientAddress()));
        }
        return Verdict.CONTINUE;
    }

    private Verdict deny(RequestContext ctx, String id, int status, byte[] body) {
        logDenial(id, ctx.head(), ctx.clientAddress());
        ctx.respond(status, TEXT, body, null);
        return Verdict.RESPONDED;
    }

    static void logDenial(String id, RequestHead h, String client) {
        if (LOG.isLoggable(Level.FINE)) {
            LOG.fine("request-rules: " + id + " denied " + h.method() + " " + h.target() + " from " + client);
        }
    }

    RequestRulesConfig config() {
        return config;
    }

    /** The own rule with body bit {@code bit}. */
    Rule bodyRule(int bit) {
        return bodyRules[bit];
    }

    @Override
    public String toString() {
        return "RequestRules[" + rules.length + " own, bundled " + List.copyOf(config.bundled()) + "]";
    }
}
