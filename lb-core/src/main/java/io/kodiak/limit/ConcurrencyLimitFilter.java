package io.kodiak.limit;

import io.kodiak.accesslog.Termination;
import io.kodiak.config.ConcurrencyLimitConfig;
import io.kodiak.filter.RequestContext;
import io.kodiak.filter.RequestFilter;

import java.util.List;

/**
 * A listener's or route's {@code concurrency-limit} (nginx {@code limit_conn}): counts the request
 * in for each rule's key, and gives it back when the exchange ends, however it ends
 * ({@link RequestContext#onEnd}). A request over any rule's {@code max} gets the rule's status with
 * {@code Retry-After: 1} (a slot frees when some request of the key ends, which nobody can
 * foretell; nginx sends none) and the access log's {@code RR}; what other rules counted in for it
 * is given back at once. A rule whose key expands to "" does not apply.
 *
 * <p>Threading: on the client's selector thread; the release runs on the connection's thread when
 * the exchange ends. Allocates the key strings and one release hook per counted request.
 */
public final class ConcurrencyLimitFilter implements RequestFilter {
    private record Rule(ConcurrencyZone zone, int max, LimitAnswers answers) {
    }

    private final Rule[] rules;

    /** @param zones the state of each rule's zone, in the same order as {@code config.rules()} */
    public ConcurrencyLimitFilter(ConcurrencyLimitConfig config, List<ConcurrencyZone> zones) {
        rules = new Rule[config.rules().size()];
        for (int i = 0; i < rules.length; i++) {
            ConcurrencyLimitConfig.Rule r = config.rules().get(i);
            rules[i] = new Rule(zones.get(i), r.max(), new LimitAnswers(r.status()));
        }
    }

    @Override
    public Verdict onRequest(RequestContext request) {
        if (rules.length == 1) {
            Rule rule = rules[0];
            String key = RateLimitFilter.key(request, rule.zone.config());
            if (key == null) {
                return Verdict.CONTINUE;
            }
            if (!acquire(request, rule, key)) {
                return Verdict.RESPONDED;
            }
            request.onEnd(() -> rule.zone.release(key));
            return Verdict.CONTINUE;
        }
        String[] keys = new String[rules.length];
        for (int i = 0; i < rules.length; i++) {
            String key = RateLimitFilter.key(request, rules[i].zone.config());
            if (key != null && !acquire(request, rules[i], key)) {
                release(keys, i);
                return Verdict.RESPONDED;
            }
            keys[i] = key;
        }
        request.onEnd(() -> release(keys, keys.length));
        return Verdict.CONTINUE;
    }

    /** Counts the request in, or answers it. */
    private static boolean acquire(RequestContext request, Rule rule, String key) {
        int result = rule.zone.acquire(key, rule.max);
        if (result == ConcurrencyZone.ACQUIRED) {
            rule.zone.passed.increment();
            return true;
        }
        (result == ConcurrencyZone.FULL ? rule.zone.full : rule.zone.rejected).increment();
        request.termination(Termination.RATE_LIMITED);
        rule.answers.refuse(request, 0);
        return false;
    }

    private void release(String[] keys, int n) {
        for (int i = 0; i < n; i++) {
            if (keys[i] != null) {
                rules[i].zone.release(keys[i]);
            }
        }
    }

    @Override
    public String toString() {
        return "ConcurrencyLimitFilter" + java.util.Arrays.toString(rules);
    }
}
