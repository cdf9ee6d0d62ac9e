package io.kodiak.config;

import java.util.ArrayList;
import java.util.List;

/**
 * The rules Kodiak ships for the common hot-patch cases ({@code request-rules.bundled}), each
 * with the id that names it in the configuration and in the log, and a line that says what it
 * denies. The checks themselves are in {@code io.kodiak.waf}. {@code bundled: all} means every
 * rule that is not {@linkplain #optIn() opt-in}; an opt-in rule (more likely to deny a legitimate
 * request) is on only when named.
 */
public enum BundledRule {
    PATH_TRAVERSAL("path-traversal", false,
            "a '..' segment in the request target, also encoded (%2e%2e, ..%2f, ..%5c, %252e, overlong"
                    + " UTF-8) or with backslashes, and a NUL (%00)"),
    SCANNER_PATHS("scanner-paths", false,
            "paths that scanners probe and a Python app never serves: /.env, /.git/, /wp-admin,"
                    + " /wp-login.php, /xmlrpc.php, /phpmyadmin, /.aws/, /server-status, /cgi-bin/, /.DS_Store..."),
    BAD_COOKIES("bad-cookies", false,
            "Cookie fields over cookies.max-bytes in all, more than cookies.max-count cookies, or a"
                    + " control character (a tab) in a cookie"),
    UNUSUAL_METHODS("unusual-methods", false,
            "methods outside allowed-methods (by default TRACE, TRACK, CONNECT, DEBUG, PROPFIND..."
                    + " are denied)"),
    SQL_XSS_PROBES("sql-xss-probes", true,
            "opt-in: SQL injection and script injection probe strings in the decoded query"
                    + " (union select, ' or 1=1, sleep(, <script, javascript:, onerror=...)");

    private final String id;
    private final boolean optIn;
    private final String description;

    BundledRule(String id, boolean optIn, String description) {
        this.id = id;
        this.optIn = optIn;
        this.description = description;
    }

    /** The name in the configuration and the log. */
    public String id() {
        return id;
    }

    /** Whether {@code bundled: all} leaves it out (it must be named). */
    public boolean optIn() {
        return optIn;
    }

    public String description() {
        return description;
    }

    /** The rule called {@code id}, or null. */
    public static BundledRule byId(String id) {
        for (BundledRule r : values()) {
            if (r.id.equals(id)) {
                return r;
            }
        }
        return null;
    }

    /** Every id, for error messages. */
    public static String ids() {
        List<String> ids = new ArrayList<>();
        for (BundledRule r : values()) {
            ids.add(r.id);
        }
        return String.join(", ", ids);
    }

    @Override
    public String toString() {
        return id;
    }
}
