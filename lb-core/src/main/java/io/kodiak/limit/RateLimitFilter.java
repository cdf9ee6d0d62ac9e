package io.kodiak.limit;

import io.kodiak.accesslog.Termination;
import io.kodiak.config.RateLimitConfig;
import io.kodiak.filter.RequestContext;
import io.kodiak.filter.RequestFilter;
import io.kodiak.filter.RequestVariables;

import java.util.List;

/**
 * A listener's or route's {@code rate-limit} (nginx {@code limit_req}): each rule's key is looked
 * up in its zone's leaky bucket ({@link LeakyBucket}). If any rule's bucket is over its burst, the
 * request is answered with the rule's status and {@code Retry-After} (access log {@code RR}) and
 * no bucket is charged; otherwise every bucket is charged, and the request waits for the longest
 * delay a rule asks for, on the feature timer ({@link io.kodiak.filter.Suspension#resumeAfter}:
 * no thread waits), then goes on. A rule whose key expands to "" does not apply (nginx).
 *
 * <p>Several rules follow nginx: all but the last applying one are only checked, the last is
 * checked and charged at once, then the others are charged.
 *
 * <p>Threading: on the client's selector thread; each bucket holds its stripe's lock for a few
 * arithmetic steps. Allocates the key strings (and, with several rules, an array of them).
 */
public final class RateLimitFilter implements RequestFilter {
    private static final RequestFilter GO_ON = r -> Verdict.CONTINUE;

    /** One rule with its zone's state and its amounts in the zone's time units. */
    private record Rule(RateZone zone, long burstNanos, long delayNanos, LimitAnswers answers) {
    }

    private final Rule[] rules;

    /** @param zones the state of each rule's zone, in the same order as {@code config.rules()} */
    public RateLimitFilter(RateLimitConfig config, List<RateZone> zones) {
        rules = new Rule[config.rules().size()];
        for (int i = 0; i < rules.length; i++) {
            RateLimitConfig.Rule r = config.rules().get(i);
            RateZone z = zones.get(i);
            rules[i] = new Rule(z, LeakyBucket.requests(r.burst(), z.interval()),
                    LeakyBucket.requests(r.delay(), z.interval()), new LimitAnswers(r.status()));
        }
    }

    @Override
    public Verdict onRequest(RequestContext request) {
        long delay = rules.length == 1 ? one(request, rules[0]) : several(request);
        if (delay < 0) {
            return Verdict.RESPONDED;
        }
        if (delay == 0) {
            return Verdict.CONTINUE;
        }
        request.suspend().resumeAfter(delay, GO_ON);
        return Verdict.SUSPENDED;
    }

    /** @return the delay (ns), or -1 after answering */
    private static long one(RequestContext request, Rule rule) {
        String key = key(request, rule.zone.config());
        if (key == null) {
            return 0;
        }
        long excess = rule.zone.take(key, rule.burstNanos, rule.zone.now());
        if (excess < 0) {
            return refuse(request, rule, excess);
        }
        return charged(rule, excess);
    }

    private long several(RequestContext request) {
        String[] keys = new String[rules.length];
        int last = -1;
        for (int i = 0; i < rules.length; i++) {
            keys[i] = key(request, rules[i].zone.config());
            if (keys[i] != null) {
                last = i;
            }
        }
        if (last < 0) {
            return 0;
        }
        for (int i = 0; i < last; i++) {
            if (keys[i] != null) {
                long excess = rules[i].zone.peek(keys[i], rules[i].burstNanos, rules[i].zone.now());
                if (excess < 0) {
                    return refuse(request, rules[i], excess);
                }
            }
        }
        long excess = rules[last].zone.take(keys[last], rules[last].burstNanos, rules[last].zone.now());
        if (excess < 0) {
            return refuse(request, rules[last], excess);
        }
        long delay = charged(rules[last], excess);
        for (int i = 0; i < last; i++) {
            if (keys[i] != null) {
                delay = Math.max(delay, charged(rules[i], rules[i].zone.account(keys[i], rules[i].zone.now())));
            }
        }
        return delay;
    }

    /** The rule's key for this request, bounded in length; null when it expands to "" (not limited). */
    static String key(RequestContext request, io.kodiak.config.LimitZoneConfig zone) {
        String key = zone.key().expand(name -> RequestVariables.get(request, name));
        return key.isEmpty() ? null : KeyTable.bounded(key);
    }

    private static long charged(Rule rule, long excess) {
        long delay = LeakyBucket.delay(excess, rule.delayNanos);
        (delay > 0 ? rule.zone.delayed : rule.zone.passed).increment();
        return delay;
    }

    private static long refuse(RequestContext request, Rule rule, long refused) {
        rule.zone.rejected.increment();
        request.termination(Termination.RATE_LIMITED);
        rule.answers.refuse(request, RateZone.REFUSED - refused);
        return -1;
    }

    @Override
    public String toString() {
        return "RateLimitFilter" + java.util.Arrays.toString(rules);
    }
}
