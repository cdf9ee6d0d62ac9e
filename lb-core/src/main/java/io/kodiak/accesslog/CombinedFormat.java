package io.kodiak.accesslog;

import java.time.ZoneId;

/**
 * nginx's predefined {@code combined} format, which is Apache's:
 * {@code $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent
 * "$http_referer" "$http_user_agent"}. Kodiak does no authentication, so {@code $remote_user} is
 * always {@code -}. Written out rather than as a {@link TemplateFormat} so that it stays exactly
 * this whatever the template table becomes.
 *
 * <p>Thread-safe (see {@link LogTimes}).
 */
final class CombinedFormat implements AccessLogFormat {
    private final LogTimes times;

    CombinedFormat(ZoneId zone) {
        this.times = new LogTimes(zone);
    }

    @Override
    public void format(AccessLogEntry e, StringBuilder out) {
        Variable.REMOTE_ADDR.appendText(e, times, out);
        out.append(" - - [");
        Variable.TIME_LOCAL.appendText(e, times, out);
        out.append("] \"");
        Variable.REQUEST.appendText(e, times, out);
        out.append("\" ");
        Variable.STATUS.appendText(e, times, out);
        out.append(' ');
        // nginx writes 0 for an empty body where Apache's %b writes '-'; we follow nginx.
        out.append(Math.max(0, e.bodyBytesSent()));
        out.append(" \"");
        Variable.HTTP_REFERER.appendText(e, times, out);
        out.append("\" \"");
        Variable.HTTP_USER_AGENT.appendText(e, times, out);
        out.append('"');
    }

    @Override
    public String toString() {
        return "combined(" + times.zone() + ")";
    }
}
