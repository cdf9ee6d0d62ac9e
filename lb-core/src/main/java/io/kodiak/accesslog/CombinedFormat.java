package io.kodiak.accesslog;

import java.time.ZoneId;

/**
 * nginx's predefined {@code combined} format, which is Apache's:
 * {@code $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent
 * "$http_referer" "$http_user_agent"}; {@code $remote_user} is the user {@code basic-auth} let
 * through, else {@code -}. Written out rather than as a {@link TemplateFormat} so that it stays exactly
 * this whatever the template table becomes.
 *
 * <p>Thread-safe (see {@link LogTimes}).
 */
final class CombinedFormat implements AccessLogFormat {
    private static final byte[] AFTER_ADDRESS = " - ".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private final LogTimes times;

    CombinedFormat(ZoneId zone) {
        this.times = new LogTimes(zone);
    }

    @Override
    public void format(AccessLogEntry e, LogLine out) {
        Variable.REMOTE_ADDR.appendText(e, times, out);
        out.bytes(AFTER_ADDRESS);
        Variable.REMOTE_USER.appendText(e, times, out);
        out.ascii(' ').ascii('[');
        Variable.TIME_LOCAL.appendText(e, times, out);
        out.ascii(']').ascii(' ').ascii('"');
        Variable.REQUEST.appendText(e, times, out);
        out.ascii('"').ascii(' ');
        Variable.STATUS.appendText(e, times, out);
        out.ascii(' ');
        // nginx writes 0 for an empty body where Apache's %b writes '-'; we follow nginx.
        out.number(Math.max(0, e.bodyBytesSent()));
        out.ascii(' ').ascii('"');
        Variable.HTTP_REFERER.appendText(e, times, out);
        out.ascii('"').ascii(' ').ascii('"');
        Variable.HTTP_USER_AGENT.appendText(e, times, out);
        out.ascii('"');
    }

    @Override
    public String toString() {
        return "combined(" + times.zone() + ")";
    }
}
