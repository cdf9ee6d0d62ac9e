package io.kodiak.config;

import io.kodiak.filter.RequestVariables;
import io.kodiak.filter.Template;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the zones of the top-level {@code rate-limits} and {@code concurrency-limits} sections
 * (nginx {@code limit_req_zone}, {@code limit_conn_zone}) and the {@code rate-limit} and
 * {@code concurrency-limit} sections of listeners and routes that name them (nginx
 * {@code limit_req}, {@code limit_conn}).
 *
 * <p>A feature section names a zone defined elsewhere in the file, yet {@link FeatureReader}'s
 * readers see only their own node: {@link ConfigLoader} reads the zones first and makes them
 * known for the time it reads the listeners ({@link #withZones}), so that an unknown zone fails
 * at the line that names it. Loading runs on one thread; the zones are forgotten when it ends.
 */
final class LimitReader {
    private static final List<String> RATE_ZONE_KEYS = List.of("key", "rate", "max-keys");
    private static final List<String> CONCURRENCY_ZONE_KEYS = List.of("key", "max-keys");
    private static final List<String> RATE_RULE_KEYS = List.of("zone", "burst", "nodelay", "delay", "status");
    private static final List<String> CONCURRENCY_RULE_KEYS = List.of("zone", "max", "status");
    /** nginx's rate syntax: whole requests per second or per minute. */
    private static final Pattern RATE = Pattern.compile("([0-9]{1,7})r/(s|m)");
    /** A rate's upper bound: a million requests per second (an interval of 1 µs). */
    private static final int MAX_RATE = 1_000_000;
    /** A burst's upper bound: what a client may run ahead of the rate stays a bounded wait. */
    private static final int MAX_BURST = 1_000_000;

    /** The zones of one file, by kind and name, in file order. */
    record Zones(Map<String, LimitZoneConfig> rate, Map<String, LimitZoneConfig> concurrency) {
        static final Zones NONE = new Zones(Map.of(), Map.of());
    }

    /** The zones of the file being loaded on this thread, while {@link #withZones} runs. */
    private static final ThreadLocal<Zones> READING = new ThreadLocal<>();

    /** What {@link #withZones} runs. */
    @FunctionalInterface
    interface Body<T> {
        T run() throws ConfigException;
    }

    private LimitReader() {
    }

    /** Runs {@code body} (reading the listeners) with {@code zones} known to the limit sections. */
    static <T> T withZones(Zones zones, Body<T> body) throws ConfigException {
        Zones before = READING.get();
        READING.set(zones);
        try {
            return body.run();
        } finally {
            if (before == null) {
                READING.remove();
            } else {
                READING.set(before);
            }
        }
    }

    /**
     * The share of the heap ({@link Runtime#maxMemory}) that the zones may take when full: the
     * rest is for connections, buffers and the other tables.
     */
    static final int HEAP_DIVISOR = 2;

    /** Reads the top-level sections; either may be null. */
    static Zones zones(ConfigNode rate, ConfigNode concurrency) throws ConfigException {
        List<Map.Entry<LimitZoneConfig, ConfigNode>> sized = new ArrayList<>();
        Zones z = new Zones(zones(rate, true, sized), zones(concurrency, false, sized));
        checkHeap(sized, Runtime.getRuntime().maxMemory());
        return z;
    }

    /**
     * Refuses zones whose tables, full, would not fit in a {@link #HEAP_DIVISOR}th of
     * {@code heap}: each is allocated in full when a listener or route first names it (and
     * filled as keys arrive), so {@code max-keys: 10000000} on a 512 MB heap would fail at the
     * first request or reload with an OutOfMemoryError instead of here, at the line that asks
     * for it. nginx sizes its zones in shared memory, outside any heap; the JVM's is fixed.
     *
     * @param sized each zone and the node to blame for its size (its max-keys, or the zone)
     */
    static void checkHeap(List<Map.Entry<LimitZoneConfig, ConfigNode>> sized, long heap) throws ConfigException {
        long total = 0;
        Map.Entry<LimitZoneConfig, ConfigNode> largest = null;
        for (Map.Entry<LimitZoneConfig, ConfigNode> e : sized) {
            total += e.getKey().bytesWhenFull();
            if (largest == null || e.getKey().bytesWhenFull() > largest.getKey().bytesWhenFull()) {
                largest = e;
            }
        }
        if (largest != null && total > heap / HEAP_DIVISOR) {
            throw largest.getValue().error("zone " + Values.quote(largest.getKey().name()) + " takes about "
                    + mb(largest.getKey().bytesWhenFull()) + " when full (" + LimitZoneConfig.BYTES_PER_KEY
                    + " bytes a key), and the " + sized.size() + " zone(s) about " + mb(total) + ": more than half of "
                    + "the heap Kodiak may use (" + mb(heap) + "). Lower max-keys, or give Kodiak a larger heap "
                    + "(KODIAK_JAVA_OPTS=-Xmx...)");
        }
    }

    private static String mb(long bytes) {
        return (bytes + (1 << 20) - 1 >> 20) + " MB";
    }

    private static Map<String, LimitZoneConfig> zones(ConfigNode section, boolean rate,
                                                      List<Map.Entry<LimitZoneConfig, ConfigNode>> sized) throws ConfigException {
        if (section == null) {
            return Map.of();
        }
        ConfigMapping m = section.freeMapping();
        Map<String, LimitZoneConfig> out = new LinkedHashMap<>();
        for (String name : m.keys()) {
            ConfigNode node = m.get(name);
            try {
                Values.name(name);
            } catch (IllegalArgumentException e) {
                throw node.error(e.getMessage());
            }
            ConfigMapping z = node.mapping(rate ? RATE_ZONE_KEYS : CONCURRENCY_ZONE_KEYS);
            Template key = key(z.require("key"));
            LimitZoneConfig.Rate r = rate ? rate(z.require("rate")) : null;
            int maxKeys = z.get("max-keys") == null ? LimitZoneConfig.DEFAULT_MAX_KEYS
                    : z.get("max-keys").integer(1, LimitZoneConfig.MAX_MAX_KEYS);
            LimitZoneConfig zone = new LimitZoneConfig(name, key, r, maxKeys);
            out.put(name, zone);
            sized.add(Map.entry(zone, z.get("max-keys") == null ? node : z.get("max-keys")));
        }
        return Collections.unmodifiableMap(out);
    }

    private static Template key(ConfigNode node) throws ConfigException {
        String text = node.string();
        Template t;
        try {
            t = Template.parse(text, RequestVariables.NAMES, null);
        } catch (IllegalArgumentException e) {
            throw node.error(e.getMessage());
        }
        if (t.isConstant()) {
            throw node.error("names no variable, so every request would share one limit "
                    + "(write e.g. \"$remote_addr\", \"$http_x_api_key\" or \"$route\")");
        }
        return t;
    }

    private static LimitZoneConfig.Rate rate(ConfigNode node) throws ConfigException {
        String text = node.text();
        Matcher m = RATE.matcher(text);
        if (!m.matches()) {
            throw node.error(Values.quote(text) + " is not a rate (write e.g. 10r/s or 600r/m, as nginx does)");
        }
        int count = Integer.parseInt(m.group(1));
        if (count < 1 || count > MAX_RATE) {
            throw node.error("must be between 1 and " + MAX_RATE + " requests per " + (m.group(2).equals("s") ? "second" : "minute"));
        }
        return new LimitZoneConfig.Rate(count, m.group(2).equals("s") ? 1 : 60);
    }

    /** A listener's or route's {@code rate-limit}: one rule, or a list of them. */
    static RateLimitConfig rateLimit(ConfigNode node, Path baseDir) throws ConfigException {
        List<RateLimitConfig.Rule> rules = new ArrayList<>();
        for (ConfigNode item : rules(node)) {
            ConfigMapping m = item.mapping(RATE_RULE_KEYS);
            LimitZoneConfig zone = zone(m.require("zone"), current().rate(), "rate-limits");
            checkDuplicate(item, zone, rules.stream().map(RateLimitConfig.Rule::zone).toList());
            int burst = m.get("burst") == null ? 0 : m.get("burst").integer(0, MAX_BURST);
            boolean nodelay = m.get("nodelay") != null && m.get("nodelay").bool();
            int delay = 0;
            if (m.get("delay") != null) {
                if (nodelay) {
                    throw m.keyError("delay", "cannot be used with nodelay: true (nodelay serves the whole burst at once)");
                }
                delay = m.get("delay").integer(0, MAX_BURST);
            }
            rules.add(new RateLimitConfig.Rule(zone, burst, nodelay ? Integer.MAX_VALUE : delay, status(m)));
        }
        return new RateLimitConfig(rules);
    }

    /** A listener's or route's {@code concurrency-limit}: one rule, or a list of them. */
    static ConcurrencyLimitConfig concurrencyLimit(ConfigNode node, Path baseDir) throws ConfigException {
        List<ConcurrencyLimitConfig.Rule> rules = new ArrayList<>();
        for (ConfigNode item : rules(node)) {
            ConfigMapping m = item.mapping(CONCURRENCY_RULE_KEYS);
            LimitZoneConfig zone = zone(m.require("zone"), current().concurrency(), "concurrency-limits");
            checkDuplicate(item, zone, rules.stream().map(ConcurrencyLimitConfig.Rule::zone).toList());
            int max = m.require("max").integer(1, 1_000_000);
            rules.add(new ConcurrencyLimitConfig.Rule(zone, max, status(m)));
        }
        return new ConcurrencyLimitConfig(rules);
    }

    private static List<ConfigNode> rules(ConfigNode node) throws ConfigException {
        if (node.isScalar()) {
            throw node.error("must be a mapping such as {zone: NAME} or a list of them, not a zone's name alone");
        }
        if (!node.isSequence()) {
            return List.of(node); // one rule, written as a mapping (mapping() says so if it is not)
        }
        List<ConfigNode> items = node.sequence();
        if (items.isEmpty()) {
            throw node.error("must name at least one zone (or remove the key)");
        }
        return items;
    }

    private static Zones current() {
        Zones z = READING.get();
        return z == null ? Zones.NONE : z;
    }

    private static LimitZoneConfig zone(ConfigNode node, Map<String, LimitZoneConfig> zones, String section)
            throws ConfigException {
        String name = node.string();
        LimitZoneConfig z = zones.get(name);
        if (z == null) {
            throw node.error("no zone " + Values.quote(name) + " in the top-level " + section
                    + (zones.isEmpty() ? " (there is none)" : " (it has " + String.join(", ", zones.keySet()) + ")"));
        }
        return z;
    }

    private static void checkDuplicate(ConfigNode item, LimitZoneConfig zone, List<LimitZoneConfig> earlier)
            throws ConfigException {
        if (earlier.contains(zone)) {
            throw item.error("zone " + Values.quote(zone.name()) + " is already limited here (nginx: \"is duplicate\")");
        }
    }

    /**
     * A zone that a listener applies cannot be applied again by one of its routes: the route's
     * rules add to the listener's, so each request would count twice in the zone (with
     * {@code max: 1}, every request refused). nginx never counts twice: a location's
     * {@code limit_req}/{@code limit_conn} replace the server's. Fails at the route's rule.
     *
     * @param listener the listener's mapping, already read (its routes are well formed)
     * @param name     the listener's name, for the message
     */
    static void refuseTwice(ConfigMapping listener, String name, ConfigMapping[] routes) throws ConfigException {
        for (String key : List.of("rate-limit", "concurrency-limit")) {
            if (listener.get(key) == null) {
                continue;
            }
            List<String> applied = new ArrayList<>();
            for (ConfigNode item : rules(listener.get(key))) {
                applied.add(item.mapping(key.equals("rate-limit") ? RATE_RULE_KEYS : CONCURRENCY_RULE_KEYS).require("zone").string());
            }
            for (ConfigMapping route : routes) {
                if (route.get(key) == null) {
                    continue;
                }
                for (ConfigNode item : rules(route.get(key))) {
                    ConfigMapping m = item.mapping(key.equals("rate-limit") ? RATE_RULE_KEYS : CONCURRENCY_RULE_KEYS);
                    String zone = m.require("zone").string();
                    if (applied.contains(zone)) {
                        throw m.keyError("zone", "zone " + Values.quote(zone) + " is already applied by listener "
                                + Values.quote(name) + ", whose " + key + " counts this route's requests too: applied "
                                + "on both, each request would count twice (nginx never does: a location's limit "
                                + "replaces the server's). Name it on the listener or on its routes, not both, or "
                                + "define another zone for this route");
                    }
                }
            }
        }
    }

    private static int status(ConfigMapping m) throws ConfigException {
        return m.get("status") == null ? RateLimitConfig.DEFAULT_STATUS : m.get("status").integer(400, 599);
    }
}
