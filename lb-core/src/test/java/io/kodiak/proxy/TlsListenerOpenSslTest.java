package io.kodiak.proxy;

/** {@link TlsListenerTest} on BoringSSL's engine ({@code tls.engine: openssl}). */
class TlsListenerOpenSslTest extends TlsListenerTest {
    @Override
    String engine() {
        return "openssl";
    }
}
