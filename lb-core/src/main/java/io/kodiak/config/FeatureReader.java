package io.kodiak.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Reads the feature sections of a listener or a route ({@link FeatureConfig}). Each feature has
 * one key and one reader; the order of {@link #readers} is the order their filters run in, not the
 * order of the keys in the file, so a configuration reads the same whichever way it is written.
 */
final class FeatureReader {
    /** Where a section appears: some features belong only to routes (an answer of its own). */
    enum Scope { LISTENER, ROUTE }

    /** Reads one section. */
    @FunctionalInterface
    interface Reader {
        FeatureConfig read(ConfigNode node, Path baseDir) throws ConfigException;
    }

    /**
     * Reads one section that may hold templates with the groups of the route's {@code path-regex}
     * ({@code $1}, {@code ${name}}): {@code groups} are their names as {@link io.kodiak.filter.Template#parse}
     * takes them, or null when there is no regular expression (a listener's, or a prefix route's).
     */
    @FunctionalInterface
    interface GroupsReader {
        FeatureConfig read(ConfigNode node, Path baseDir, Set<String> groups) throws ConfigException;
    }

    /** One feature: its key, where it may appear, and how it is read. */
    private record Entry(String key, boolean listener, boolean route, GroupsReader reader) {
        /** A feature whose section has no use for the route's groups. */
        Entry(String key, boolean listener, boolean route, Reader reader) {
            this(key, listener, route, (node, baseDir, groups) -> reader.read(node, baseDir));
        }
    }

    /** In the order their filters run. */
    private static final List<Entry> readers = readers();

    private static List<Entry> readers() {
        List<Entry> r = new ArrayList<>();
        // Protection first (nginx runs its access phase after rewrite and return; Kodiak does not:
        // a route's respond or redirect never slips past its access rules or authentication).
        // access: allow/deny/tarpit/redirect rules on address, method, path, headers, query
        r.add(new Entry("access", true, true, AccessReader::read));

        // request-rules: the small WAF (bundled and own rules on path, query, headers, body)
        r.add(new Entry("request-rules", true, true, (Reader) RequestRulesReader::read));

        // rate-limit: requests per second per key (nginx limit_req)
        r.add(new Entry("rate-limit", true, true, LimitReader::rateLimit));

        // concurrency-limit: requests in progress per key (nginx limit_conn)
        r.add(new Entry("concurrency-limit", true, true, LimitReader::concurrencyLimit));

        // basic-auth: htpasswd users (nginx auth_basic)
        r.add(new Entry("basic-auth", true, true, (Reader) BasicAuthReader::read));

        // forward-auth: a subrequest to an auth service (nginx auth_request, Traefik ForwardAuth)
        r.add(new Entry("forward-auth", true, true, ForwardAuthReader::read));

        // request-headers: header rules on the request sent upstream
        r.add(new Entry("request-headers", true, true, HeaderRulesReader::requestHeaders));

        // rewrite: the path, query and Host sent upstream
        r.add(new Entry("rewrite", false, true, RewriteReader::read));

        // redirect: an answer of its own
        r.add(new Entry("redirect", false, true, RedirectReader::read));

        // respond: an answer of its own
        r.add(new Entry("respond", false, true, RespondReader::read));

        // static: files from a directory
        r.add(new Entry("static", false, true, StaticReader::read));

        // response-headers, expires, hide-headers: header rules on the response
        // (hiding first, so that a field response-headers sets is not hidden again)
        r.add(new Entry("hide-headers", true, true, HeaderRulesReader::hideHeaders));
        r.add(new Entry("hide-internals", true, true, HeaderRulesReader::hideInternals));
        r.add(new Entry("response-headers", true, true, HeaderRulesReader::responseHeaders));
        r.add(new Entry("expires", true, true, HeaderRulesReader::expires));

        // error-pages: pages for Kodiak's answers and, if asked, the upstream's errors
        r.add(new Entry("error-pages", true, true, (Reader) ErrorPagesReader::read));

        // compression: last, so that it compresses the body the client gets
        r.add(new Entry("compression", true, true, CompressionReader::read));

        return List.copyOf(r);
    }

    private FeatureReader() {
    }

    /** Sections that answer the request themselves: a route has at most one, and then no rewrite. */
    private static final List<String> ANSWERS = List.of("redirect", "respond", "static");

    /** Refuses a route that would answer two ways, or rewrite what no upstream is sent. */
    private static void exclusive(ConfigMapping m) throws ConfigException {
        String answer = null;
        for (String k : m.keys()) {
            if (ANSWERS.contains(k)) {
                if (answer != null) {
                    throw m.keyError(k, "cannot be used with " + answer + " (a route answers one way)");
                }
                answer = k;
            }
        }
        if (answer != null && !answer.equals("static") && m.get("rewrite") != null) {
            throw m.keyError("rewrite", "has no effect: the route answers with " + answer + " and sends nothing upstream");
        }
    }

    /** The feature keys allowed in {@code scope}, to add to the mapping's own. */
    static List<String> keys(Scope scope) {
        List<String> keys = new ArrayList<>();
        for (Entry e : readers) {
            if (scope == Scope.LISTENER ? e.listener : e.route) {
                keys.add(e.key);
            }
        }
        return keys;
    }

    /** {@code base} followed by the feature keys of {@code scope}: what a mapping may hold. */
    static List<String> keys(List<String> base, Scope scope) {
        List<String> all = new ArrayList<>(base);
        all.addAll(keys(scope));
        return List.copyOf(all);
    }

    /** The sections of {@code m} that are features, read in their running order. */
    static List<FeatureConfig> read(ConfigMapping m, Scope scope, Path baseDir) throws ConfigException {
        return read(m, scope, baseDir, null);
    }

    /**
     * As {@link #read(ConfigMapping, Scope, Path)}, for a route with a {@code path-regex}.
     *
     * @param groups its group names ("1".."9" for those it has, and the named ones), or null
     */
    static List<FeatureConfig> read(ConfigMapping m, Scope scope, Path baseDir, Set<String> groups) throws ConfigException {
        exclusive(m);
        List<FeatureConfig> out = new ArrayList<>();
        for (Entry e : readers) {
            ConfigNode node = m.get(e.key);
            if (node != null && (scope == Scope.LISTENER ? e.listener : e.route)) {
                out.add(e.reader.read(node, baseDir, groups));
            }
        }
        return List.copyOf(out);
    }
}
