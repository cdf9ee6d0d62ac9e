package io.kodiak.proxy;

import io.kodiak.config.HeaderRulesConfig;
import io.kodiak.filter.BodyTransform;
import io.kodiak.filter.RequestContext;
import io.kodiak.filter.RequestFilter;
import io.kodiak.filter.RequestVariables;
import io.kodiak.filter.ResponseContext;
import io.kodiak.filter.ResponseFilter;
import io.kodiak.filter.ResponseVariables;
import io.kodiak.filter.Template;
import io.kodiak.http.FieldEdits;
import io.kodiak.http.FieldRemovals;

import java.util.logging.Logger;

/**
 * Applies one {@link HeaderRulesConfig} to the request sent upstream ({@code request-headers}) or
 * to every upstream response ({@code response-headers}, {@code hide-headers},
 * {@code hide-internals}): remove, then set, then add, each value expanded from the request as
 * the client sent it (and, for responses, the upstream's answer). A value that expands to
 * nothing removes the field ({@code set}) or adds none ({@code add}), as nginx does; except a
 * request's {@code Host}, which can never be removed: an empty one keeps the client's.
 *
 * <p>Immutable and shared by every connection of its listener or route; runs on a selector thread.
 */
final class HeaderRules implements RequestFilter, ResponseFilter {
    private static final Logger LOG = Logger.getLogger(HeaderRules.class.getName());

    private final HeaderRulesConfig config;
    /** What {@code remove} (or hide-headers, hide-internals) names, as one list checked per field without a String. */
    private final FieldRemovals removals;
    /** Whether every value is constant: then no variable lookup is made per message. */
    private final boolean constant;

    HeaderRules(HeaderRulesConfig config) {
        this.config = config;
        this.removals = new FieldRemovals(config.remove());
        this.constant = config.set().stream().allMatch(r -> r.value().isConstant())
                && config.add().stream().allMatch(r -> r.value().isConstant());
    }

    /** Whether it edits responses (else requests). */
    boolean response() {
        return config.response();
    }

    @Override
    public Verdict onRequest(RequestContext request) {
        apply(request.upstreamFields(), constant ? null : RequestVariables.of(request));
        return Verdict.CONTINUE;
    }

    @Override
    public BodyTransform onResponse(ResponseContext response) {
        apply(response.clientFields(), constant ? null : ResponseVariables.of(response));
        return null;
    }

    private void apply(FieldEdits edits, Template.Lookup lookup) {
        edits.removeAll(removals);
        for (HeaderRulesConfig.Rule r : config.set()) {
            String value = r.value().expand(lookup);
            try {
                if (value.isEmpty()) {
                    if (!config.response() && r.name().equalsIgnoreCase("host")) {
                        continue; // a request always has a Host: nothing to set it to keeps the client's
                    }
                    edits.remove(r.name());
                } else {
                    edits.set(r.name(), value);
                }
            } catch (IllegalArgumentException e) {
                skipped(r, e);
            }
        }
        for (HeaderRulesConfig.Rule r : config.add()) {
            String value = r.value().expand(lookup);
            if (value.isEmpty()) {
                continue;
            }
            try {
                edits.add(r.name(), value);
            } catch (IllegalArgumentException e) {
                skipped(r, e);
            }
        }
    }

    /**
     * A value built from the request that the field cannot carry (a {@code Host} set from a
     * client's field that is no host name): this message goes without it, the others are unaffected.
     */
    private static void skipped(HeaderRulesConfig.Rule r, IllegalArgumentException e) {
        LOG.fine(() -> "header rule " + r.name() + ": " + r.value() + " skipped: " + e.getMessage());
    }

    @Override
    public String toString() {
        return "HeaderRules[" + (config.response() ? "response" : "request") + ", set " + config.set().size()
                + ", add " + config.add().size() + ", remove " + config.remove() + "]";
    }
}
