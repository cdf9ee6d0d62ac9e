package io.kodiak.config;

import io.kodiak.http.ServerField;

/**
 * What the client sees in the {@code Server} response field. By default Kodiak reveals neither
 * itself nor the upstream ({@link Mode#STRIP}).
 *
 * @param mode  strip the upstream's field, pass it through, or set a fixed value
 * @param value the fixed value for {@link Mode#SET}, otherwise {@code null}
 */
public record ServerHeaderPolicy(Mode mode, String value) implements ServerField {
    public enum Mode { STRIP, PASS, SET }

    public static final ServerHeaderPolicy DEFAULTS = new ServerHeaderPolicy(Mode.STRIP, null);

    @Override
    public boolean passesUpstream() {
        return mode == Mode.PASS;
    }

    @Override
    public boolean setsOwn() {
        return mode == Mode.SET;
    }
}
