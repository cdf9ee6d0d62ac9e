package io.kodiak.waf;

/**
 * The bundled rule {@code scanner-paths}: a path with a segment that scanners probe for and a
 * Python app behind Kodiak never serves: secrets and version control ({@code .env},
 * {@code .env.production}, {@code .git}, {@code .aws}...), PHP and WordPress entry points, Apache's
 * status pages and CGI. Matched on whole segments of the normalised path, ignoring case, anywhere
 * in the path ({@code /blog/wp-admin/} too), where a segment also ends at an encoded separator
 * ({@code /static%2F.env}, {@link #found}): {@code /static/app.env.js} and
 * {@code /api/wp-admin-docs} are not denied, since no segment is one of these names.
 *
 * <p>Stateless; no allocation; time linear in the path.
 */
final class ScannerPaths {
    /** Whole segments, lower-case. */
    static final String[] NAMES = {
        ".env", ".git", ".git-credentials", ".gitconfig", ".svn", ".hg", ".bzr", ".aws", ".ssh", ".docker",
        ".npmrc", ".htaccess", ".htpasswd", ".ds_store", "wp-admin", "wp-login.php", "wp-includes",
        "wp-config.php", "xmlrpc.php", "phpmyadmin", "phpinfo.php", "server-status", "server-info", "cgi-bin",
    };
    /** Segment prefixes: {@code .env.local}, {@code .env.production}, {@code .env.bak}... */
    static final String[] PREFIXES = {".env."};
    /** The first characters of the names and prefixes, either case: most segments start with none. */
    private static final boolean[] FIRST = new boolean[128];

    static {
        for (String[] list : new String[][] {NAMES, PREFIXES}) {
            for (String name : list) {
                FIRST[Character.toLowerCase(name.charAt(0))] = true;
                FIRST[Character.toUpperCase(name.charAt(0))] = true;
            }
        }
    }

    private ScannerPaths() {
    }

    /**
     * Whether a segment of {@code path} (normalised) is one of {@link #NAMES}, or starts with a
     * prefix. A segment ends at {@code /} and at the separators a server behind may decode or
     * honour: {@code %2F} (Gunicorn's and every WSGI server's {@code PATH_INFO} holds it decoded,
     * so {@code /.git%2Fconfig} is {@code /.git/config} to the app), {@code %5C} and {@code \}
     * (Windows, and frameworks that read {@code \} as {@code /}). The normaliser has upper-cased the
     * hex digits of every escape it kept, but either case is read here.
     */
    static boolean found(String path) {
        int n = path.length();
        int start = 0;
        int i = 0;
        while (i <= n) {
            int sep = i == n ? 1 : separator(path, i);
            if (sep == 0) {
                i++;
                continue;
            }
            if (i > start && segment(path, start, i - start)) {
                return true;
            }
            i += sep;
            start = i;
        }
        return false;
    }

    /** The length of the separator at {@code i} ({@code /}, {@code \\}, {@code %2F}, {@code %5C}), or 0. */
    private static int separator(String path, int i) {
        char c = path.charAt(i);
        if (c == '/' || c == '\\') {
            return 1;
        }
        if (c != '%' || i + 2 >= path.length()) {
            return 0;
        }
        char hi = path.charAt(i + 1);
        char lo = path.charAt(i + 2);
        return hi == '2' && (lo == 'F' || lo == 'f') || hi == '5' && (lo == 'C' || lo == 'c') ? 3 : 0;
    }

    private static boolean segment(String path, int start, int len) {
        char c = path.charAt(start);
        if (c >= FIRST.length || !FIRST[c]) {
            return false; // the common case: no name starts here
        }
        for (String name : NAMES) {
            if (name.length() == len && path.regionMatches(true, start, name, 0, len)) {
                return true;
            }
        }
        for (String prefix : PREFIXES) {
            if (len > prefix.length() && path.regionMatches(true, start, prefix, 0, prefix.length())) {
                return true;
            }
        }
        return false;
    }
}
