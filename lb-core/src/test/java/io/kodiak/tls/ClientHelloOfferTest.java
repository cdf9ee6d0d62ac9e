package io.kodiak.tls;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ClientHellos as the JDK's client writes them, read for what they offer. */
class ClientHelloOfferTest {
    private static ByteBuffer hello(String[] protocols, String[] suites) throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, null, null);
        SSLEngine c = ctx.createSSLEngine("example.test", 443);
        c.setUseClientMode(true);
        c.setEnabledProtocols(protocols);
        if (suites != null) {
            c.setEnabledCipherSuites(suites);
        }
        ByteBuffer out = ByteBuffer.allocate(1 << 15);
        c.wrap(ByteBuffer.allocate(0), out);
        return out.flip();
    }

    @Test
    void aTls12ClientOfferingOnlyRsaSuitesTakesNoEcdsaCertificate() throws Exception {
        ClientHelloOffer o = ClientHelloOffer.parse(hello(new String[] {"TLSv1.2"},
                new String[] {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}));
        assertEquals(new ClientHelloOffer(false, false, true), o);
        assertFalse(o.allows("EC"));
        assertTrue(o.allows("RSA"));
    }

    @Test
    void aTls12ClientOfferingBothTakesEither() throws Exception {
        ClientHelloOffer o = ClientHelloOffer.parse(hello(new String[] {"TLSv1.2"}, null));
        assertEquals(new ClientHelloOffer(false, true, true), o);
    }

    @Test
    void aTls13ClientLeavesItToTheSignatureAlgorithms() throws Exception {
        ClientHelloOffer o = ClientHelloOffer.parse(hello(new String[] {"TLSv1.3", "TLSv1.2"},
                new String[] {"TLS_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}));
        assertTrue(o.tls13());
        assertTrue(o.allows("EC"));
    }

    @Test
    void partOfAHelloOrSomethingElseSaysNothing() throws Exception {
        ByteBuffer whole = hello(new String[] {"TLSv1.2"}, null);
        ByteBuffer cut = whole.duplicate();
        cut.limit(whole.limit() - 1);
        assertNull(ClientHelloOffer.parse(cut));
        assertNull(ClientHelloOffer.parse(ByteBuffer.wrap("GET / HTTP/1.1\r\n\r\n".getBytes())));
        assertEquals(0, whole.position(), "the hello is read, not consumed");
    }
}
