package io.kodiak.tls;

/** {@link ServerTlsTest} on BoringSSL's engine. */
class ServerTlsOpenSslTest extends ServerTlsTest {
    @Override
    TlsEngine engine() {
        return TlsEngine.OPENSSL;
    }
}
