package io.kodiak.config;

import io.kodiak.accesslog.AccessLogFormat;
import io.kodiak.accesslog.AccessLogTarget;

import java.time.ZoneId;
import java.util.List;

/**
 * Reads a listener's {@code access-log}: the short form {@code off}, {@code stdout}, a file path or
 * a {@code syslog://} address (combined format, default buffer), or the mapping
 * {@code {target, format, facility, buffer}}. Everything the log will need is checked here, so a
 * bad template or an unwritable directory fails {@code kodiak check} and a reload, not the first
 * request.
 */
final class AccessLogReader {
    private static final List<String> KEYS = List.of("target", "format", "facility", "buffer");
    private static final String SHORT_FORMS = "off, " + AccessLogConfig.TARGETS + ", or a mapping with target, format, facility, buffer";

    private AccessLogReader() {
    }

    /** The listener's access log, or {@code null} when it is off. */
    static AccessLogConfig read(ConfigNode node) throws ConfigException {
        if (node.isScalar()) {
            String text = node.string();
            return text.equals("off") ? null : node.parse(SHORT_FORMS, AccessLogReader::target);
        }
        ConfigMapping m = node.mapping(KEYS);
        ConfigNode targetNode = m.require("target");
        if (targetNode.isScalar() && targetNode.string().equals("off")) {
            throw targetNode.error("\"off\" is not a target: to log nothing, write access-log: off");
        }
        AccessLogConfig c = targetNode.parse(AccessLogConfig.TARGETS, AccessLogReader::target);
        if (m.get("format") != null) {
            c = c.withFormat(m.get("format").parse("combined, json or a template", AccessLogReader::format));
        }
        ConfigNode facility = m.get("facility");
        if (facility != null) {
            if (!c.syslog()) {
                throw facility.error("applies to a syslog target only (this one is " + c.destination() + ")");
            }
            c = c.withFacility(facility.parse("a syslog facility", name -> {
                AccessLogTarget.requireFacility(name);
                return name;
            }));
        }
        if (m.get("buffer") != null) {
            c = c.withBuffer(m.get("buffer").parse("a number of entries", AccessLogReader::buffer));
        }
        return c;
    }

    /** A target in the file: a file path must be absolute there. */
    private static AccessLogConfig target(String text) {
        return AccessLogConfig.target(text, null);
    }

    /** Parsed now, in this zone, only to check it: the log parses it again when it opens. */
    private static String format(String text) {
        AccessLogFormat.named(text, ZoneId.systemDefault());
        return text;
    }

    /** A count of entries; nginx's {@code buffer=32k} is bytes, so a size says what this is instead. */
    static int buffer(String text) {
        if (!text.matches("[0-9]{1,9}")) {
            throw new IllegalArgumentException(Values.quote(text) + " is not a number of entries (the queue holds log"
                    + " entries, not bytes; e.g. " + AccessLogConfig.DEFAULT_BUFFER + ")");
        }
        int n = Integer.parseInt(text);
        if (n < 1 || n > AccessLogConfig.MAX_BUFFER) {
            throw new IllegalArgumentException(text + " is out of range (must be 1-" + AccessLogConfig.MAX_BUFFER + ")");
        }
        return n;
    }
}
