package io.kodiak.admin;

import io.kodiak.config.UpstreamConfig;
import io.kodiak.config.Values;
import io.kodiak.upstream.AdminState;
import org.glassfish.grizzly.http.server.Request;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The admin API's request bodies: a small JSON object, read whole (at most {@value #MAX_BODY}
 * bytes) and checked field by field before anything is applied, each problem a {@link Refused}
 * that says what was wrong.
 */
final class AdminBodies {
    static final int MAX_BODY = 64 * 1024;

    private AdminBodies() {
    }

    static Map<String, Object> body(Request req) throws Refused {
        if (req.getHeader("Upgrade") != null) {
            // Grizzly hands the body of an upgrade request (the JDK client's h2c) to the upgraded
            // protocol, so it would never arrive here: say so at once instead of timing out.
            throw new Refused(400, "protocol upgrades (" + req.getHeader("Upgrade") + ") are not supported: send HTTP/1.1 without Upgrade");
        }
        String ct = req.getContentType();
        if (ct != null && !ct.isBlank() && !ct.toLowerCase(Locale.ROOT).startsWith("application/json")) {
            throw new Refused(415, "the body must be JSON (Content-Type: application/json), not " + ct);
        }
        byte[] bytes;
        try (InputStream in = req.getInputStream()) {
            bytes = in.readNBytes(MAX_BODY + 1);
        } catch (IOException e) {
            throw new Refused(400, "cannot read the body: " + e.getMessage());
        }
        if (bytes.length > MAX_BODY) {
            throw new Refused(413, "the body is larger than " + MAX_BODY + " bytes");
        }
        String text = new String(bytes, StandardCharsets.UTF_8);
        if (text.isBlank()) {
            return Map.of();
        }
        Object v;
        try {
            v = Json.parse(text);
        } catch (Json.ParseException e) {
            throw new Refused(400, "malformed JSON: " + e.getMessage());
        }
        if (!(v instanceof Map<?, ?> m)) {
            throw new Refused(400, "the body must be a JSON object, e.g. {\"state\": \"drain\"}");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> map = (Map<String, Object>) m;
        return map;
    }

    static void only(Map<String, Object> body, String... keys) throws Refused {
        List<String> allowed = List.of(keys);
        for (String k : body.keySet()) {
            if (!allowed.contains(k)) {
                throw new Refused(400, "unknown field \"" + k + "\" (expected " + String.join(", ", allowed) + ")");
            }
        }
    }

    /** {@code {"address": "host:port", "name": ..., "weight": 1, "max_connections": 0}}, checked as the config file is. */
    static UpstreamConfig newUpstream(Map<String, Object> body) throws Refused {
        if (!(body.get("address") instanceof String address)) {
            throw new Refused(400, "missing field \"address\" (host:port)");
        }
        Values.HostPort hp;
        String name;
        try {
            hp = Values.upstreamAddress(address);
            Object n = body.get("name");
            if (n != null && !(n instanceof String)) {
                throw new IllegalArgumentException("\"name\" must be a string");
            }
            name = n == null ? Values.defaultName(hp.toString()) : Values.name((String) n);
        } catch (IllegalArgumentException e) {
            throw new Refused(400, e.getMessage());
        }
        int weight = integer(body, "weight", 1, 1, 1000);
        int max = integer(body, "max_connections", 0, 0, 1_000_000);
        UpstreamConfig uc = new UpstreamConfig(name, hp.host(), hp.port(), weight, max);
        String unresolved = uc.unresolvable();
        if (unresolved != null) {
            throw new Refused(400, "\"address\": " + unresolved);
        }
        return uc;
    }

    /** {@code "address"}: an upstream's address, {@code host:port}, {@code [ipv6]:port} or {@code unix:/path}. */
    static AddressKey address(Object given) throws Refused {
        if (!(given instanceof String text)) {
            throw new Refused(400, given == null ? "missing field \"address\" (host:port, [ipv6]:port or unix:/path)"
                    : "\"address\" must be a string: host:port, [ipv6]:port or unix:/path");
        }
        try {
            return AddressKey.parse(text);
        } catch (IllegalArgumentException e) {
            throw new Refused(400, "\"address\": " + e.getMessage());
        }
    }

    static int integer(Map<String, Object> body, String key, int dflt, int min, int max) throws Refused {
        Object v = body.get(key);
        if (v == null) {
            return dflt;
        }
        if (!(v instanceof Long l) || l < min || l > max) {
            throw new Refused(400, "\"" + key + "\" must be an integer " + min + "-" + max + "; got " + Json.write(v));
        }
        return (int) (long) l;
    }

    static AdminState state(Map<String, Object> body) throws Refused {
        Object s = body.get("state");
        if (!(s instanceof String text)) {
            throw new Refused(400, s == null ? "missing field \"state\" (ready, drain or maint)"
                    : "\"state\" must be a string: ready, drain or maint");
        }
        try {
            return AdminState.parse(text);
        } catch (IllegalArgumentException e) {
            throw new Refused(400, e.getMessage());
        }
    }

    static int weight(Map<String, Object> body) throws Refused {
        if (!body.containsKey("weight")) {
            throw new Refused(400, "missing field \"weight\" (0-1000, or null for the configured weight)");
        }
        Object w = body.get("weight");
        if (w == null) {
            return -1;
        }
        if (!(w instanceof Long l) || l < 0 || l > 1000) {
            throw new Refused(400, "\"weight\" must be an integer 0-1000 (0 drains), or null for the configured weight; got " + Json.write(w));
        }
        return (int) (long) l;
    }

    static Duration timeout(Map<String, Object> body) throws Refused {
        Object t = body.get("timeout");
        if (t == null) {
            return AdminServer.DEFAULT_WAIT;
        }
        Duration d;
        try {
            d = t instanceof String s ? Values.duration(s) : null;
        } catch (IllegalArgumentException e) {
            d = null;
        }
        if (d == null || d.isNegative() || d.isZero() || d.compareTo(AdminServer.MAX_WAIT) > 0) {
            throw new Refused(400, "\"timeout\" must be a duration such as \"60s\" or \"500ms\", at most 1h; got " + Json.write(t));
        }
        return d;
    }
}
