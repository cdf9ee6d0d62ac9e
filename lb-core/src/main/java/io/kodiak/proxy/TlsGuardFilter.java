package io.kodiak.proxy;

import org.glassfish.grizzly.Buffer;
import org.glassfish.grizzly.CompletionHandler;
import org.glassfish.grizzly.Connection;
import org.glassfish.grizzly.Grizzly;
import org.glassfish.grizzly.WriteResult;
import org.glassfish.grizzly.attributes.Attribute;
import org.glassfish.grizzly.filterchain.BaseFilter;
import org.glassfish.grizzly.filterchain.FilterChainContext;
import org.glassfish.grizzly.filterchain.NextAction;
import org.glassfish.grizzly.memory.Buffers;

import java.nio.charset.StandardCharsets;

/**
 * Sits before the TLS filter of a TLS listener and looks at a connection's first byte: a TLS
 * handshake starts with a record of type 22; a request (or the empty lines a client may send
 * before one) starts with printable ASCII, CR or LF. A client that
 * speaks plain HTTP to the TLS port (an {@code http://} URL with the https port) gets nginx's
 * answer, a 400 in plain text that says so, and the connection closes, instead of a TLS alert it
 * cannot read. Anything else goes on to the TLS filter, which refuses it.
 *
 * <p>It also sends ACME's TLS-ALPN-01 validations to their own engine ({@link #acmeValidation}).
 *
 * <p>Stateless apart from one connection attribute; runs on selector threads.
 */
final class TlsGuardFilter extends BaseFilter {
    private final io.kodiak.acme.Challenges challenges;
    /** TLS's largest record (RFC 8446 section 5.1): a longer "length" is not a ClientHello worth waiting for. */
    private static final int MAX_RECORD = 16_384;

    /** @param challenges the TLS-ALPN-01 validations to answer, or {@code null} */
    TlsGuardFilter(io.kodiak.acme.Challenges challenges) {
        this.challenges = challenges;
    }

    TlsGuardFilter() {
        this(null);
    }

    /**
     * An ACME TLS-ALPN-01 validation (a ClientHello offering {@code acme-tls/1} for a domain being
     * validated now) gets the validation's own engine before the TLS filter makes the listener's:
     * the JDK picks a certificate before it settles ALPN, so the listener's engine cannot tell.
     */
    private void acmeValidation(Connection<?> c, Buffer b) {
        if (challenges.anyAlpn()) { // only while a validation runs: seconds, now and then
            io.kodiak.tls.ClientHelloPeek hello = io.kodiak.tls.ClientHelloPeek.parse(b.toByteBuffer());
            if (hello != null && hello.protocols().contains(io.kodiak.acme.Challenges.ACME_TLS_1)
                    && challenges.hasAlpn(hello.serverName())) {
                javax.net.ssl.SSLEngine engine = challenges.alpnEngine(hello.serverName());
                if (engine != null) {
                    try {
                        engine.beginHandshake(); // the TLS filter takes a handshaking engine as its own
                    } catch (javax.net.ssl.SSLException e) {
                        return;
                    }
                    org.glassfish.grizzly.ssl.SSLUtils.setSSLEngine(c, engine);
                    VALIDATION.set(c, Boolean.TRUE);
                }
            }
        }
    }

    private static final Attribute<Boolean> CHECKED = Grizzly.DEFAULT_ATTRIBUTE_BUILDER.createAttribute("kodiak.tls-checked");
    static final byte[] PLAIN_HTTP_ANSWER = ("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 47\r\n"
            + "Connection: close\r\n\r\nThe plain HTTP request was sent to HTTPS port\r\n").getBytes(StandardCharsets.US_ASCII);

    private static final Attribute<Boolean> VALIDATION = Grizzly.DEFAULT_ATTRIBUTE_BUILDER.createAttribute("kodiak.acme-validation");

    /** Whether {@code c} is an ACME TLS-ALPN-01 validation: done once its handshake is (RFC 8737 section 3). */
    static boolean acmeValidation(Connection<?> c) {
        return VALIDATION.isSet(c);
    }

    /** Whether {@code c} has sent the start of a TLS handshake (a connect-and-close has not). */
    static boolean handshakeBegun(Connection<?> c) {
        return CHECKED.isSet(c);
    }

    @Override
    public NextAction handleRead(FilterChainContext ctx) {
        Connection<?> c = ctx.getConnection();
        if (CHECKED.isSet(c)) {
            return ctx.getInvokeAction();
        }
        Buffer b = ctx.getMessage();
        if (!b.hasRemaining()) {
            return ctx.getInvokeAction();
        }
        int first = b.get(b.position()) & 0xFF;
        boolean plainHttp = first >= 0x20 && first < 0x7F || first == '\r' || first == '\n';
        if (!plainHttp) {
            if (first == 22 && challenges != null && challenges.anyAlpn()) {
                // A ClientHello split over two segments (a post-quantum key share makes it larger
                // than one) is held until whole, only while a validation runs, and up to the
                // largest record, so the validation is seen whatever the segmenting.
                int pos = b.position();
                int length = b.remaining() >= 5 ? (b.get(pos + 3) & 0xFF) << 8 | b.get(pos + 4) & 0xFF : -1;
                if (length < 0 || length <= MAX_RECORD && b.remaining() < 5 + length) {
                    return ctx.getStopAction(b);
                }
                acmeValidation(c, b);
            }
            CHECKED.set(c, Boolean.TRUE);
            return ctx.getInvokeAction();
        }
        ctx.write(Buffers.wrap(c.getMemoryManager(), PLAIN_HTTP_ANSWER), new CompletionHandler<WriteResult>() {
            @Override
            public void cancelled() {
                c.closeSilently();
            }

            @Override
            public void failed(Throwable t) {
                c.closeSilently();
            }

            @Override
            public void completed(WriteResult result) {
                c.closeSilently();
            }

            @Override
            public void updated(WriteResult result) {
            }
        });
        return ctx.getStopAction();
    }
}
