package io.kodiak.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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

    /** One feature: its key, where it may appear, and how it is read. */
    private record Entry(String key, boolean listener, boolean route, Reader reader) {
    }

    /** In the order their filters run. */
    private static final List<Entry> readers = readers();

    private static List<Entry> readers() {
        List<Entry> r = new ArrayList<>();
        // request-headers: header rules on the request sent upstream

        // rewrite: the path, query and Host sent upstream

        // redirect: an answer of its own

        // respond: an answer of its own

        // static: files from a directory
        r.add(new Entry("static", false, true, StaticReader::read));

        // response-headers, expires, hide-headers: header rules on the response

        // error-pages: pages for Kodiak's answers and, if asked, the upstream's errors

        // compression: last, so that it compresses the body the client gets

        return List.copyOf(r);
    }

    private FeatureReader() {
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
        List<FeatureConfig> out = new ArrayList<>();
        for (Entry e : readers) {
            ConfigNode node = m.get(e.key);
            if (node != null && (scope == Scope.LISTENER ? e.listener : e.route)) {
                out.add(e.reader.read(node, baseDir));
            }
        }
        return List.copyOf(out);
    }
}
