package io.kodiak.config;

/**
 * What {@code consistent-hash} hashes, and how far it lets one upstream's load exceed the average.
 *
 * @param source        where the key comes from
 * @param name          the header or cookie name (lower-case for headers), or {@code null} for the client IP
 * @param balanceFactor HAProxy's {@code hash-balance-factor}, in percent: an upstream takes a key only
 *                      while its requests in flight stay under this share of the pool's average
 *                      (Google's consistent hashing with bounded loads); 0 turns the bound off
 */
public record HashConfig(Source source, String name, int balanceFactor) {
    /** Where the hash key comes from. */
    public enum Source { CLIENT_IP, HEADER, COOKIE }

    public static final HashConfig DEFAULTS = new HashConfig(Source.CLIENT_IP, null, 125);

    /** The configuration spelling: {@code client-ip}, {@code header:NAME} or {@code cookie:NAME}. */
    public String key() {
        return switch (source) {
            case CLIENT_IP -> "client-ip";
            case HEADER -> "header:" + name;
            case COOKIE -> "cookie:" + name;
        };
    }
}
