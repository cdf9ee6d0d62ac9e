package io.kodiak.waf;

import com.google.re2j.Pattern;

/**
 * The opt-in bundled rule {@code sql-xss-probes}: the strings that SQL injection and script
 * injection scanners (sqlmap, the OWASP ZAP active scan) put in query parameters, found in the
 * percent-decoded query, ignoring case. A short, deliberately narrow list, not the OWASP Core Rule
 * Set: it stops the noisy probes of a scan, not a determined attacker, and it can deny a
 * legitimate query that talks about SQL or HTML (a search for "union select", a CMS preview),
 * which is why it is on only when named.
 *
 * <p>One RE2 expression (linear time in the query, whatever it holds); thread-safe.
 */
final class Probes {
    static final Pattern PROBES = Pattern.compile("(?i)"
            + "\\bunion[\\s/*+(]+(all[\\s/*+(]+|distinct[\\s/*+(]+)?select\\b"
            + "|\\bselect\\b.{0,200}\\bfrom\\b.{0,200}\\b(information_schema|pg_catalog|sqlite_master|mysql\\.user)\\b"
            + "|'\\s*(or|and)\\s+'?\\s*\\w+\\s*'?\\s*(=|like)\\s*'?\\s*\\w+"
            + "|\\b(sleep|benchmark|pg_sleep|extractvalue|updatexml)\\s*\\("
            + "|\\bwaitfor\\s+delay\\b|\\bxp_cmdshell\\b|;\\s*(drop|shutdown)\\s"
            + "|<\\s*/?\\s*script\\b|javascript\\s*:|vbscript\\s*:"
            + "|\\bon(error|load|mouseover|focus|click|toggle|begin|animationstart)\\s*="
            + "|<\\s*(iframe|svg|img|object|embed|body)\\b[^>]*\\bon\\w+\\s*=");

    private Probes() {
    }

    /** Whether the decoded query {@code q} holds a probe. */
    static boolean found(CharSequence q) {
        return PROBES.matcher(q).find();
    }
}
