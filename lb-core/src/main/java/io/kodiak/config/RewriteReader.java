package io.kodiak.config;

import io.kodiak.filter.RequestVariables;
import io.kodiak.filter.Template;
import io.kodiak.http.UriText;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/** Reads a route's {@code rewrite} section ({@link RewriteConfig}). */
final class RewriteReader {
    private static final List<String> KEYS = List.of("strip-prefix", "replace-prefix", "path", "query", "host");
    private static final List<String> PATH_FORMS = List.of("strip-prefix", "replace-prefix", "path");

    private RewriteReader() {
    }

    /** @param groups the route's regex group names, or null when it has no path-regex */
    static RewriteConfig read(ConfigNode node, Path baseDir, Set<String> groups) throws ConfigException {
        ConfigMapping m = node.mapping(KEYS);
        if (m.isEmpty()) {
            throw node.error("says nothing to rewrite (give one of " + String.join(", ", KEYS) + ")");
        }
        String form = null;
        for (String k : PATH_FORMS) {
            if (m.get(k) != null) {
                if (form != null) {
                    throw m.keyError(k, "cannot be used with " + form + " (one path rewrite per route)");
                }
                form = k;
            }
        }
        String strip = m.get("strip-prefix") == null ? null : pathPrefix(m.get("strip-prefix"));
        String from = null;
        String to = null;
        if (m.get("replace-prefix") != null) {
            ConfigMapping r = m.get("replace-prefix").mapping(List.of("from", "to"));
            from = pathPrefix(r.require("from"));
            to = pathPrefix(r.require("to"));
        }
        Template path = m.get("path") == null ? null : pathTemplate(m.get("path"), groups);
        Template query = m.get("query") == null ? null : template(m.get("query"), m.get("query").text(), groups);
        String host = null;
        boolean hostOfUpstream = false;
        if (m.get("host") != null) {
            ConfigNode h = m.get("host");
            String text = h.string();
            if (text.equals("upstream")) {
                hostOfUpstream = true;
            } else if (UriText.isAuthority(text)) {
                host = text;
            } else {
                throw h.error(Values.quote(text) + " is neither \"upstream\" nor a host[:port]");
            }
        }
        return new RewriteConfig(strip, from, to, path, query, host, hostOfUpstream);
    }

    /** A literal path prefix: starts with '/', and only characters a path may hold unencoded. */
    private static String pathPrefix(ConfigNode n) throws ConfigException {
        String p = n.string();
        if (p.charAt(0) != '/') {
            throw n.error(Values.quote(p) + " must start with '/'");
        }
        if (!UriText.path(p).equals(p)) {
            throw n.error(Values.quote(p) + " holds characters a path cannot carry unencoded (write them as %XX)");
        }
        return p;
    }

    private static Template pathTemplate(ConfigNode n, Set<String> groups) throws ConfigException {
        String text = n.string();
        if (text.charAt(0) != '/' && text.charAt(0) != '$') {
            throw n.error(Values.quote(text) + " must start with '/' (or a variable)");
        }
        if (text.indexOf('?') >= 0 || text.indexOf('#') >= 0) {
            throw n.error(Values.quote(text) + " is a path: set the query with rewrite.query");
        }
        return template(n, text, groups);
    }

    /** A template with the request's variables and the route's groups, checked now. */
    static Template template(ConfigNode n, String text, Set<String> groups) throws ConfigException {
        try {
            return Template.parse(text, RequestVariables.NAMES, groups);
        } catch (IllegalArgumentException e) {
            throw n.error(e.getMessage());
        }
    }
}
