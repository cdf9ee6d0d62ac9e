package io.kodiak.accesslog;

import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;

/**
 * A format written as a template with named variables, as nginx's {@code log_format}:
 * {@code "$remote_addr $status $request_id"}. A variable is {@code $name} or {@code ${name}} (for
 * a variable followed by a letter); the names are those of {@link Variable}, listed in
 * docs/access-log.md. Everything else is copied as written: it comes from the configuration, not
 * from a client, so it is not escaped, while every variable's value is.
 *
 * <p>Immutable once parsed; thread-safe.
 */
public final class TemplateFormat implements AccessLogFormat {
    private final String template;
    private final LogTimes times;
    /** Each piece is a literal (its UTF-8 bytes, encoded once) or a Variable, in order. */
    private final Object[] pieces;

    private TemplateFormat(String template, ZoneId zone, List<Object> pieces) {
        this.template = template;
        this.times = new LogTimes(zone);
        this.pieces = pieces.stream()
                .map(p -> p instanceof String literal ? literal.getBytes(java.nio.charset.StandardCharsets.UTF_8) : p)
                .toArray();
    }

    /** {@link #parse(String, ZoneId)} with the system's time zone. */
    public static TemplateFormat parse(String template) {
        return parse(template, ZoneId.systemDefault());
    }

    /**
     * Parses {@code template}. IllegalArgumentException if it names an unknown variable (the
     * message lists the known ones), has a {@code $} without a name or an unclosed <code>${</code>,
     * or holds a CR or LF (a line must stay one line).
     */
    public static TemplateFormat parse(String template, ZoneId zone) {
        if (template.indexOf('\n') >= 0 || template.indexOf('\r') >= 0) {
            throw new IllegalArgumentException("an access log template must be one line");
        }
        List<Object> pieces = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        int i = 0;
        while (i < template.length()) {
            char c = template.charAt(i);
            if (c != '$') {
                literal.append(c);
                i++;
                continue;
            }
            int start;
            int end;
            int next;
            if (i + 1 < template.length() && template.charAt(i + 1) == '{') {
                start = i + 2;
                end = template.indexOf('}', start);
                if (end < 0) {
                    throw new IllegalArgumentException("unclosed ${ at column " + (i + 1) + " of the access log template");
                }
                next = end + 1;
            } else {
                start = i + 1;
                end = start;
                while (end < template.length() && isNameChar(template.charAt(end))) {
                    end++;
                }
                next = end;
            }
            if (end == start) {
                throw new IllegalArgumentException("$ without a variable name at column " + (i + 1) + " of the access log template");
            }
            if (!literal.isEmpty()) {
                pieces.add(literal.toString());
                literal.setLength(0);
            }
            pieces.add(Variable.named(template.substring(start, end)));
            i = next;
        }
        if (!literal.isEmpty()) {
            pieces.add(literal.toString());
        }
        return new TemplateFormat(template, zone, pieces);
    }

    private static boolean isNameChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    }

    @Override
    public void format(AccessLogEntry e, LogLine out) {
        for (Object p : pieces) {
            if (p instanceof Variable v) {
                v.appendText(e, times, out);
            } else {
                out.bytes((byte[]) p);
            }
        }
    }

    @Override
    public String toString() {
        return "template(\"" + template + "\", " + times.zone() + ")";
    }
}
