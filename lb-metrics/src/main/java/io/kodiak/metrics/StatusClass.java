package io.kodiak.metrics;

/**
 * The class of an HTTP status code (RFC 9110 section 15), a bounded Prometheus label ({@code code="2xx"}).
 */
public enum StatusClass {
    INFORMATIONAL("1xx"),
    SUCCESSFUL("2xx"),
    REDIRECTION("3xx"),
    CLIENT_ERROR("4xx"),
    SERVER_ERROR("5xx");

    private static final StatusClass[] VALUES = values();

    private final String label;

    StatusClass(String label) {
        this.label = label;
    }

    /** @return {@code "1xx"} .. {@code "5xx"} */
    public String label() {
        return label;
    }

    /**
     * @param status an HTTP status code, 100..599
     * @return its class
     * @throws IllegalArgumentException if {@code status} is outside 100..599, which RFC 9110 calls
     *                                  invalid; a caller that received one has an invalid response
     */
    public static StatusClass of(int status) {
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("not an HTTP status code: " + status);
        }
        return VALUES[status / 100 - 1];
    }
}
