package io.kodiak.tls;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.SplittableRandom;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The SNI and ALPN of real ClientHellos (the JDK's), and nothing but null from anything less. */
class ClientHelloPeekTest {
    /** The first flight of a JDK client asking for {@code sni} and offering {@code alpn}. */
    static ByteBuffer clientHello(String sni, String... alpn) throws Exception {
        SSLContext c = SSLContext.getInstance("TLS");
        c.init(null, null, null);
        SSLEngine e = c.createSSLEngine("x", 443);
        e.setUseClientMode(true);
        SSLParameters p = e.getSSLParameters();
        if (sni != null) {
            p.setServerNames(List.of(new SNIHostName(sni)));
        }
        p.setApplicationProtocols(alpn);
        e.setSSLParameters(p);
        ByteBuffer out = ByteBuffer.allocate(e.getSession().getPacketBufferSize());
        e.wrap(ByteBuffer.allocate(0), out);
        return out.flip();
    }

    @Test
    void readsTheServerNameAndTheOfferedProtocols() throws Exception {
        ByteBuffer hello = clientHello("App.Example.TEST", "acme-tls/1");
        int position = hello.position();
        ClientHelloPeek p = ClientHelloPeek.parse(hello);
        assertEquals("app.example.test", p.serverName());
        assertEquals(List.of("acme-tls/1"), p.protocols());
        assertEquals(position, hello.position()); // the TLS filter reads it next

        ClientHelloPeek browser = ClientHelloPeek.parse(clientHello("example.test", "h2", "http/1.1"));
        assertEquals(List.of("h2", "http/1.1"), browser.protocols());
        ClientHelloPeek bare = ClientHelloPeek.parse(clientHello(null));
        assertNull(bare.serverName());
        assertEquals(List.of(), bare.protocols());
    }

    @Test
    void aPartOfAHelloOrNoiseIsNullNeverAnException() throws Exception {
        ByteBuffer hello = clientHello("example.test", "acme-tls/1");
        byte[] bytes = new byte[hello.remaining()];
        hello.get(bytes);
        for (int n = 0; n < bytes.length; n++) {
            assertNull(ClientHelloPeek.parse(ByteBuffer.wrap(bytes, 0, n)), "a hello cut at " + n);
        }
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < 20_000; i++) { // bytes flipped at random in a real hello, and lengths that lie
            byte[] b = bytes.clone();
            for (int k = 0; k < 1 + r.nextInt(4); k++) {
                b[r.nextInt(b.length)] = (byte) r.nextInt(256);
            }
            ClientHelloPeek.parse(ByteBuffer.wrap(b)); // must return, whatever it finds
        }
        assertNull(ClientHelloPeek.parse(ByteBuffer.wrap("GET / HTTP/1.1\r\n\r\n".getBytes())));
    }
}
