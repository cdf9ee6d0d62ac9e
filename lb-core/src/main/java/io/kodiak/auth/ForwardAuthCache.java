package io.kodiak.auth;

import io.kodiak.config.ForwardAuthConfig.Cache.Scope;
import io.kodiak.http.HeaderFields;
import io.kodiak.http.RequestHead;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * The forward-auth answers kept for a short time per credential ({@code forward-auth.cache}), so
 * that a browser reloading a page, or a client polling an API, does not ask the auth service every
 * time. Keyed ({@link #key}) on the values of the configured {@code request-headers} (the
 * credential) and on what the service decides by: the {@code Host}, and with the default scope
 * {@code request} the method, scheme, target and client address too. The key is their SHA-256,
 * so an entry is 32 bytes of key whatever the client sends, and no credential is kept in memory
 * in the clear. A request without any of the fields is never looked up nor kept.
 *
 * <p>Bounded: at most {@code max-entries}, the least recently used evicted first (an attacker
 * sending endless distinct tokens only churns the cache; its answers were never 2xx to keep
 * anyway); an answer over {@link #MAX_ENTRY_BYTES} is not kept; an entry is used for {@code ttl}
 * from when it was stored, then dropped when next looked up or when evicted. Time comes from an
 * injected clock.
 *
 * <p>Threading: any thread; one lock ({@link ExpiringLru}), held only for a map operation.
 */
final class ForwardAuthCache {
    /** The largest answer kept (fields to copy, or a denial's body): max-entries times this bounds the memory. */
    static final int MAX_ENTRY_BYTES = 4096;

    /** A credential's digest. */
    record Key(long a, long b, long c, long d) {
    }

    private final boolean denials;
    private final ExpiringLru<Key, ForwardAuthDecision> map;

    ForwardAuthCache(long ttlNanos, int maxEntries, boolean denials, LongSupplier nanoTime) {
        this.denials = denials;
        this.map = new ExpiringLru<>(ttlNanos, maxEntries, nanoTime);
    }

    /**
     * The key of a request, or null when it carries none of the configured fields: an anonymous
     * request has no credential to key on, and one anonymous 2xx must not open the door to every
     * client without one. The key is each configured field's values, in order (the name's position
     * separating them), then the {@code Host}, then for {@link Scope#REQUEST} the method, scheme,
     * target and client address: each part length-prefixed, so no two requests share a key by
     * shifting bytes from one part to the next.
     */
    static Key key(RequestHead h, List<String> names, Scope scope, String scheme, String client) {
        HeaderFields f = h.fields();
        MessageDigest md = KeyDigest.start();
        boolean credential = false;
        for (int n = 0; n < names.size(); n++) {
            String lower = names.get(n).toLowerCase(Locale.ROOT);
            md.update((byte) n); // which field: "Cookie: a" is not "Authorization: a"
            for (int i = f.indexOf(lower, 0); i >= 0; i = f.indexOf(lower, i + 1)) {
                credential = true;
                KeyDigest.part(md, f.bytes(), f.valueStart(i), f.valueEnd(i));
            }
        }
        if (!credential) {
            return null;
        }
        md.update((byte) 0xff); // the credential ends
        part(md, h.host());
        if (scope == Scope.REQUEST) {
            part(md, h.method());
            part(md, scheme);
            KeyDigest.part(md, h.bytes(), h.targetStart(), h.targetEnd());
            part(md, client);
        }
        byte[] d = md.digest();
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(d);
        return new Key(b.getLong(), b.getLong(), b.getLong(), b.getLong());
    }

    private static void part(MessageDigest md, String s) {
        byte[] b = s == null ? new byte[0] : s.getBytes(StandardCharsets.UTF_8);
        KeyDigest.part(md, b, 0, b.length);
    }

    /** The decision kept for {@code k}, or null (none, or it expired). */
    ForwardAuthDecision get(Key k) {
        return map.get(k);
    }

    /** Keeps {@code d} for {@code k} if it is an answer the cache keeps. */
    void put(Key k, ForwardAuthDecision d) {
        if (!d.cacheable(denials) || d.weight() > MAX_ENTRY_BYTES) {
            return;
        }
        map.put(k, d);
    }

    int size() {
        return map.size();
    }

    @Override
    public String toString() {
        return map.describe("ForwardAuthCache");
    }
}
