package io.kodiak.config;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * An {@code error-pages} section of a listener, route or pool (nginx {@code error_page}, HAProxy
 * {@code errorfile}): the body sent with an error status, per status ({@code "502"}) or class
 * ({@code "5xx"}), read once when the configuration is loaded. The status stays the answer's; the
 * body and {@code Content-Type} are the page's.
 *
 * @param pages     by key: a status {@code "400"}..{@code "599"} or a class {@code "4xx"}, {@code "5xx"}
 * @param intercept whether upstream responses with such a status get the page instead of their
 *                  body (nginx {@code proxy_intercept_errors on}); never on a pool
 */
public record ErrorPagesConfig(Map<String, Page> pages, boolean intercept) implements FeatureConfig {
    /**
     * One page. Equality compares the body's bytes, so that an unchanged file read again by a
     * reload is an unchanged section.
     *
     * @param body sent as is: callers must not modify it
     */
    public record Page(String contentType, Path file, byte[] body) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Page p && contentType.equals(p.contentType) && Objects.equals(file, p.file)
                    && Arrays.equals(body, p.body);
        }

        @Override
        public int hashCode() {
            return Objects.hash(contentType, file, Arrays.hashCode(body));
        }

        @Override
        public String toString() {
            return "Page[" + file + ", " + contentType + ", " + body.length + " bytes]";
        }
    }

    public ErrorPagesConfig {
        pages = Map.copyOf(pages);
    }

    /** The page for {@code status}: its own, else its class's, else null. */
    public Page find(int status) {
        if (status < 400 || status > 599) {
            return null;
        }
        Page p = pages.get(Integer.toString(status));
        return p != null ? p : pages.get(status / 100 + "xx");
    }
}
