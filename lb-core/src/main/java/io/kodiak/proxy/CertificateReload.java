package io.kodiak.proxy;

import io.kodiak.config.KodiakConfig;
import io.kodiak.config.ListenerConfig;
import io.kodiak.config.TlsConfig;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the certificate, key and client-CA files of every TLS listener again, without the
 * configuration file, and puts in those that changed: what {@link CertificateWatch} does when the
 * files change on disk. Only the certificates change. Re-reading the whole configuration instead
 * would also apply whatever else someone is editing in {@code kodiak.yaml} at that moment, which
 * nobody asked for by renewing a certificate; {@code kodiak ctl reload} does that, on demand.
 *
 * <p>Each listener stands alone: one whose files are bad (a key that is not the certificate's, as
 * when certbot has written one file of the pair and not yet the other) keeps its old certificates,
 * and the problem is reported as {@code listener L: FILE: problem}. New connections handshake
 * with the new certificates; open ones keep their session.
 *
 * <p>Called under the {@link ProxyServer}'s lock, so never beside a reload.
 */
final class CertificateReload {
    /** What a re-read did: one line per listener whose certificates changed, one per listener whose files were refused. */
    record Outcome(List<String> changes, List<String> problems) {
    }

    private CertificateReload() {
    }

    static Outcome apply(Running running, Listeners listeners, Instant now) {
        List<String> changes = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        Map<String, ListenerConfig> replaced = new HashMap<>();
        for (ListenerRuntime lr : listeners.runtimes()) {
            ListenerConfig lc = lr.config;
            if (lc.tls() == null) {
                continue;
            }
            TlsConfig fresh;
            try {
                fresh = lc.tls().reread(now);
            } catch (IOException e) {
                problems.add("listener " + lc.name() + ": " + e.getMessage());
                continue;
            }
            if (fresh.sameCertificates(lc.tls())) {
                continue; // the same bytes, or only a touched file: keep the context, and its session cache
            }
            ListenerConfig next = lc.withTls(fresh);
            lr.config = next; // the next handshake's engine comes from here (ListenerEngines)
            replaced.put(lc.name(), next);
            changes.add("listener " + lc.name() + ": certificates reloaded");
        }
        if (!replaced.isEmpty()) {
            KodiakConfig c = running.config();
            running.config(c.withListeners(c.listeners().stream().map(l -> replaced.getOrDefault(l.name(), l)).toList()));
        }
        return new Outcome(changes, problems);
    }
}
