package io.kodiak.proxy;

import io.kodiak.config.AccessAddress;
import io.kodiak.config.AccessCidrs;
import io.kodiak.config.AccessRule;
import io.kodiak.config.AccessSourceFile;
import io.kodiak.config.RequestRegex;
import io.kodiak.filter.RequestContext;

import java.util.List;
import java.util.regex.Pattern;

/**
 * The conditions of one access rule, built once per configuration: the path (exact, prefix or
 * regular expression, on the normalised path as routes see it), the client's address in or out
 * of the rule's ranges (written ones and {@link AccessFiles} watched ones, each an O(log n)
 * lookup), and methods, headers, cookies and query through a route's {@link RequestMatcher}.
 * Cheap checks come first; a regular expression that overflows the stack throws
 * {@link RequestRegex.TooDeep}, which answers 400 (never "no match", which could let a request
 * slip past a deny).
 *
 * <p>Immutable but for the files' current ranges; called on selector threads, concurrently.
 */
final class AccessMatch {
    private final RequestMatcher fields;
    private final String[] exact;
    private final String[] prefixes;
    private final Pattern regex;
    private final Ranges source;
    private final Ranges notSource;

    private AccessMatch(RequestMatcher fields, String[] exact, String[] prefixes, Pattern regex, Ranges source,
                        Ranges notSource) {
        this.fields = fields;
        this.exact = exact;
        this.prefixes = prefixes;
        this.regex = regex;
        this.source = source;
        this.notSource = notSource;
    }

    static AccessMatch of(AccessRule r, AccessFiles files) {
        AccessRule.AccessPath p = r.path();
        return new AccessMatch(RequestMatcher.of(r.conditions()),
                p == null || p.exact().isEmpty() ? null : p.exact().toArray(new String[0]),
                p == null || p.prefixes().isEmpty() ? null : p.prefixes().toArray(new String[0]),
                p == null || p.regex() == null ? null : p.regex().pattern(),
                Ranges.of(r.source(), files), Ranges.of(r.notSource(), files));
    }

    boolean usesSource() {
        return source != null || notSource != null;
    }

    /**
     * @param client the client's address, or null when unknown (then it is in no range: a
     *               {@code source} does not hold, a {@code not-source} does)
     */
    boolean matches(RequestContext r, AccessAddress client) {
        if (exact != null || prefixes != null || regex != null) {
            if (!path(r.head().path())) {
                return false;
            }
        }
        if (source != null && !source.contains(client) || notSource != null && notSource.contains(client)) {
            return false;
        }
        return fields.matches(r.head(), null);
    }

    private boolean path(String path) {
        if (regex != null) {
            return RequestRegex.find(regex, path);
        }
        if (exact != null) {
            for (String e : exact) {
                if (e.equals(path)) {
                    return true;
                }
            }
            return false;
        }
        for (String p : prefixes) {
            if (path.startsWith(p)) {
                return true;
            }
        }
        return false;
    }

    /** A rule's written ranges and its files' current ones. */
    private static final class Ranges {
        private final AccessCidrs written;
        private final AccessFiles.Watched[] files;

        private Ranges(AccessCidrs written, AccessFiles.Watched[] files) {
            this.written = written;
            this.files = files;
        }

        static Ranges of(AccessRule.Sources s, AccessFiles files) {
            if (s == null) {
                return null;
            }
            List<AccessSourceFile> list = s.files();
            AccessFiles.Watched[] w = new AccessFiles.Watched[list.size()];
            for (int i = 0; i < w.length; i++) {
                w[i] = files.watch(list.get(i));
            }
            return new Ranges(s.cidrs(), w);
        }

        boolean contains(AccessAddress a) {
            if (written.contains(a)) {
                return true;
            }
            for (AccessFiles.Watched f : files) {
                if (f.cidrs().contains(a)) {
                    return true;
                }
            }
            return false;
        }
    }

    @Override
    public String toString() {
        return "AccessMatch[" + fields + (usesSource() ? ", source" : "") + "]";
    }
}
