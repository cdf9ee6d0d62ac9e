package io.kodiak.acme;

import org.shredzone.acme4j.connector.HttpConnector;
import org.shredzone.acme4j.connector.NetworkSettings;
import org.shredzone.acme4j.provider.GenericAcmeProvider;

import java.net.http.HttpClient;
import javax.net.ssl.SSLContext;

/**
 * A plain {@code https://} ACME directory whose certificate chains to {@code acme.trust} (a
 * private CA's, Pebble's) rather than to the JDK's trust store, which acme4j's generic provider
 * would use.
 */
final class TrustingProvider extends GenericAcmeProvider {
    private final SSLContext trust;

    TrustingProvider(SSLContext trust) {
        this.trust = trust;
    }

    @Override
    protected HttpConnector createHttpConnector(NetworkSettings settings) {
        return new HttpConnector(settings) {
            @Override
            public HttpClient.Builder createClientBuilder() {
                return super.createClientBuilder().sslContext(trust);
            }
        };
    }
}
