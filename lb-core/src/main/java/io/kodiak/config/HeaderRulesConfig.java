package io.kodiak.config;

import io.kodiak.filter.Template;

import java.util.List;

/**
 * Header rules for one direction, from a {@code request-headers} or {@code response-headers}
 * section, or the names a {@code hide-headers} or {@code hide-internals} section removes from
 * responses. Applied in this order: {@link #remove}, then {@link #set}, then {@link #add}, so that
 * a rule can remove a family of fields and set one of them again.
 *
 * @param response whether the rules edit the response sent to the client (else the request sent upstream)
 * @param set      fields replaced (every field of the name goes, one with the value comes)
 *                 (nginx {@code proxy_set_header}, HAProxy {@code set-header})
 * @param add      fields added after the message's own (nginx {@code add_header}, HAProxy {@code add-header})
 * @param remove   names or patterns ({@code X-Internal-*}, {@code *-Debug}) removed
 *                 (nginx {@code proxy_hide_header}, HAProxy {@code del-header})
 */
public record HeaderRulesConfig(boolean response, List<Rule> set, List<Rule> add, List<String> remove)
        implements FeatureConfig {
    /** One field and its value, a {@link Template} expanded per request. */
    public record Rule(String name, Template value) {
    }

    public HeaderRulesConfig {
        set = List.copyOf(set);
        add = List.copyOf(add);
        remove = List.copyOf(remove);
    }

    /** Rules that only remove {@code names} from responses. */
    public static HeaderRulesConfig hiding(List<String> names) {
        return new HeaderRulesConfig(true, List.of(), List.of(), names);
    }

    public boolean isEmpty() {
        return set.isEmpty() && add.isEmpty() && remove.isEmpty();
    }
}
