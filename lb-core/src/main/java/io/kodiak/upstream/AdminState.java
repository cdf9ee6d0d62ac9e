package io.kodiak.upstream;

import java.util.Locale;

/**
 * What the operator set for an upstream through the admin API, with HAProxy's semantics
 * ({@code set server ... state ready|drain|maint}).
 */
public enum AdminState {
    /** In rotation (when its health allows). Coming back from DRAIN or MAINT, through slow start. */
    READY,
    /** No new requests; those in flight finish; idle pooled connections are closed; still health-checked. */
    DRAIN,
    /** No traffic and no health checks. Leaving it, the upstream returns after its first passed check. */
    MAINT;

    /** The name in the API, the CLI and the state file: {@code ready}, {@code drain}, {@code maint}. */
    public String apiName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @throws IllegalArgumentException naming the valid states, for anything else
     */
    public static AdminState parse(String s) {
        for (AdminState a : values()) {
            if (a.apiName().equals(s)) {
                return a;
            }
        }
        throw new IllegalArgumentException("invalid state \"" + s + "\" (expected ready, drain or maint)");
    }
}
