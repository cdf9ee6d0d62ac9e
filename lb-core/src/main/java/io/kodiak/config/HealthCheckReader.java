package io.kodiak.config;

import io.kodiak.health.HealthCheckPolicy;
import io.kodiak.health.HttpCheck;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Reads a pool's {@code health-check} section; every key has HAProxy's default. */
final class HealthCheckReader {
    private static final List<String> KEYS = List.of("type", "interval", "fast-interval", "down-interval", "timeout",
            "rise", "fall", "jitter", "method", "path", "host", "expect-status", "expect-body");
    private static final List<String> HTTP_KEYS = List.of("method", "path", "host", "expect-status", "expect-body");
    private static final List<String> METHODS = List.of("GET", "HEAD", "OPTIONS", "POST");

    private HealthCheckReader() {
    }

    static HealthCheckConfig read(ConfigNode node) throws ConfigException {
        ConfigMapping m = node.mapping(KEYS);
        HealthCheckConfig.Type type = HealthCheckConfig.Type.TCP;
        if (m.get("type") != null) {
            type = m.get("type").parse("tcp, http or none", HealthCheckReader::type);
        }
        if (type != HealthCheckConfig.Type.HTTP) {
            for (String key : HTTP_KEYS) {
                if (m.get(key) != null) {
                    throw m.get(key).error("only applies to type http");
                }
            }
        }
        HealthCheckPolicy d = HealthCheckPolicy.DEFAULTS;
        Duration interval = duration(m, "interval", d.interval());
        // HAProxy: fastinter and downinter default to inter; without "timeout check" a check may take inter.
        Duration fastInterval = duration(m, "fast-interval", interval);
        Duration downInterval = duration(m, "down-interval", interval);
        Duration timeout = duration(m, "timeout", interval);
        int rise = m.get("rise") == null ? d.rise() : m.get("rise").integer(1, 1000);
        int fall = m.get("fall") == null ? d.fall() : m.get("fall").integer(1, 1000);
        double jitter = d.jitter();
        if (m.get("jitter") != null) {
            jitter = m.get("jitter").parse("a percentage", text -> Values.percent(text, 50)) / 100.0;
        }
        HealthCheckPolicy policy = new HealthCheckPolicy(rise, fall, interval, fastInterval, downInterval, timeout,
                jitter, d.initialState());
        HttpCheck http = type == HealthCheckConfig.Type.HTTP ? http(m) : null;
        return new HealthCheckConfig(type, policy, http);
    }

    private static HttpCheck http(ConfigMapping m) throws ConfigException {
        HttpCheck d = HttpCheck.DEFAULTS;
        String method = m.get("method") == null ? d.method() : m.get("method").parse("a method", HealthCheckReader::method);
        String path = m.get("path") == null ? d.path() : m.get("path").parse("a path", HealthCheckReader::path);
        String host = m.get("host") == null ? null : m.get("host").parse("a host name", Values::fieldValue);
        List<HttpCheck.StatusRange> status = d.expectStatus();
        ConfigNode statusNode = m.get("expect-status");
        if (statusNode != null) {
            status = new ArrayList<>();
            for (ConfigNode item : statusNode.isScalar() ? List.of(statusNode) : statusNode.sequence()) {
                status.add(item.parse("a status or a range of statuses", Values::statusRange));
            }
            if (status.isEmpty()) {
                throw statusNode.error("must list at least one status");
            }
        }
        String body = m.get("expect-body") == null ? null : m.get("expect-body").string();
        return new HttpCheck(method, path, host, status, body, HealthCheckConfig.NODE_HEADERS);
    }

    private static Duration duration(ConfigMapping m, String key, Duration dflt) throws ConfigException {
        return m.get(key) == null ? dflt : m.get(key).duration();
    }

    private static HealthCheckConfig.Type type(String text) {
        for (HealthCheckConfig.Type t : HealthCheckConfig.Type.values()) {
            if (t.configName().equals(text)) {
                return t;
            }
        }
        throw new IllegalArgumentException(Values.quote(text) + " is not a check type (valid: tcp, http, none)");
    }

    private static String method(String text) {
        if (!METHODS.contains(text)) {
            throw new IllegalArgumentException(Values.quote(text) + " is not a check method (valid: " + String.join(", ", METHODS) + ")");
        }
        return text;
    }

    /** An origin-form request target: what HAProxy's {@code option httpchk} puts on the request line. */
    private static String path(String text) {
        if (!text.startsWith("/") || !text.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new IllegalArgumentException(Values.quote(text) + " must start with / and hold no spaces or control characters");
        }
        return text;
    }
}
