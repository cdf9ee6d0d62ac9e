package io.kodiak.proxy;

import io.kodiak.accesslog.Termination;
import io.kodiak.config.AccessAddress;
import io.kodiak.config.AccessConfig;
import io.kodiak.config.AccessRule;
import io.kodiak.config.RedirectConfig;
import io.kodiak.filter.RequestContext;
import io.kodiak.filter.RequestFilter;
import io.kodiak.route.RedirectFilter;

import java.util.List;

/**
 * A listener's or route's {@code access} rules ({@link AccessConfig}): tried in order, the first
 * whose conditions all hold decides, and a request no rule takes goes on (nginx's
 * {@code allow}/{@code deny}, HAProxy's {@code http-request allow|deny|tarpit|redirect if ...}).
 *
 * <ul>
 * <li>{@code allow}: the request goes on to the next filter (the route's own rules still apply).</li>
 * <li>{@code deny}: Kodiak answers the status (403 unless told), with the route's or listener's
 *     error page when there is one; PR in the access log.</li>
 * <li>{@code tarpit}: the request is held ({@link io.kodiak.filter.Suspension#resumeAfter}: a
 *     timer, no thread waits) and then answered as a deny, with PT in the access log. A held
 *     request keeps its connection, so how many can be held at once is bounded by the listener's
 *     {@code max-connections}: a tarpit costs the client a connection slot and Kodiak one
 *     connection's memory and a timer entry, no upstream and no thread.</li>
 * <li>{@code redirect}: the route's {@code redirect} answer ({@link RedirectFilter}).</li>
 * </ul>
 *
 * <p>The client's address is parsed once per request, and only when a rule has a source
 * condition; a rule's conditions are checked cheapest first (path, address, then method and fields).
 *
 * <p>Immutable and thread-safe; runs on selector threads and never blocks.
 */
final class AccessFilter implements RequestFilter {
    private final Rule[] rules;
    private final boolean usesSource;

    private AccessFilter(Rule[] rules) {
        this.rules = rules;
        boolean source = false;
        for (Rule r : rules) {
            source |= r.when.usesSource();
        }
        this.usesSource = source;
    }

    /** The filter of {@code c}; its source files are watched through {@code files}. */
    static AccessFilter of(AccessConfig c, AccessFiles files) {
        List<AccessRule> list = c.rules();
        Rule[] rules = new Rule[list.size()];
        for (int i = 0; i < rules.length; i++) {
            rules[i] = new Rule(list.get(i), AccessMatch.of(list.get(i), files));
        }
        return new AccessFilter(rules);
    }

    @Override
    public Verdict onRequest(RequestContext r) {
        AccessAddress client = usesSource ? AccessAddress.parse(r.clientAddress()) : null;
        for (Rule rule : rules) {
            if (rule.when.matches(r, client)) {
                return rule.apply(r);
            }
        }
        return Verdict.CONTINUE;
    }

    /** One rule: its conditions and its action, with what the action answers made once. */
    private static final class Rule {
        private final AccessRule config;
        private final AccessMatch when;
        private final long holdNanos;
        private final RedirectFilter redirect;
        /** Answers the request as a deny does; also a tarpit's step once the hold is over. */
        private final RequestFilter deny;

        Rule(AccessRule config, AccessMatch when) {
            this.config = config;
            this.when = when;
            this.holdNanos = config.hold() == null ? 0 : config.hold().toNanos();
            this.redirect = config.action() == AccessRule.Action.REDIRECT
                    ? new RedirectFilter(new RedirectConfig(config.to(), config.status())) : null;
            int status = config.status();
            byte[] body = LocalAnswers.body(status);
            boolean tarpit = config.action() == AccessRule.Action.TARPIT;
            this.deny = r -> {
                if (tarpit) {
                    r.termination(Termination.TARPIT);
                }
                // Not a FixedResponse: an answer >= 400 from a filter takes the error pages.
                r.respond(status, LocalAnswers.TEXT, body, null);
                return Verdict.RESPONDED;
            };
        }

        Verdict apply(RequestContext r) {
            return switch (config.action()) {
                case ALLOW -> Verdict.CONTINUE;
                case DENY -> deny.onRequest(r);
                case REDIRECT -> redirect.onRequest(r);
                case TARPIT -> {
                    r.suspend().resumeAfter(holdNanos, deny);
                    yield Verdict.SUSPENDED;
                }
            };
        }

        @Override
        public String toString() {
            return config.describe();
        }
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("AccessFilter[");
        for (int i = 0; i < rules.length; i++) {
            b.append(i == 0 ? "" : ", ").append(rules[i]);
        }
        return b.append(']').toString();
    }
}
