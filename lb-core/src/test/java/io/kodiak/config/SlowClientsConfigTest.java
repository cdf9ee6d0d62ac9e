package io.kodiak.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;

import static io.kodiak.config.ConfigLoaderRejectionTest.ONE_POOL;
import static io.kodiak.config.ConfigLoaderRejectionTest.assertRejected;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The slow-client settings: {@code timeouts.body-total}, {@code timeouts.send-min-rate}, {@code limits.max-connections-per-address}. */
class SlowClientsConfigTest {
    private static final String LISTENER = "listeners:\n  - name: l\n    address: 127.0.0.1:0\n    %s\n" + ONE_POOL;

    private static ListenerConfig listener(String line) throws ConfigException {
        return ConfigLoader.parse(LISTENER.formatted(line), Path.of("kodiak.yaml")).listeners().get(0);
    }

    @Test
    void defaultsAreNoBodyTotalASendRateOf100AndNoPerAddressCap() throws Exception {
        ListenerConfig l = listener("server-header: strip");
        assertEquals(Duration.ZERO, l.timeouts().bodyTotal());
        assertEquals(100, l.timeouts().sendMinRate());
        assertEquals(0, l.limits().maxConnectionsPerAddress());
        assertEquals(ClientTimeouts.DEFAULTS, l.timeouts());
        assertEquals(ClientLimits.DEFAULTS, l.limits());
    }

    @Test
    void theSettingsAreRead() throws Exception {
        ListenerConfig l = listener("timeouts: {body-total: 2m, send-min-rate: 1KiB/s}");
        assertEquals(ClientTimeouts.DEFAULTS.withBodyTotal(Duration.ofMinutes(2)).withSendMinRate(1024), l.timeouts());
        assertEquals(0, listener("timeouts: {send-min-rate: 0}").timeouts().sendMinRate());
        assertEquals(0, listener("timeouts: {send-min-rate: 'off'}").timeouts().sendMinRate());
        assertEquals(250, listener("timeouts: {send-min-rate: 250}").timeouts().sendMinRate());
        assertEquals(Duration.ZERO, listener("timeouts: {body-total: 'off'}").timeouts().bodyTotal());
        assertEquals(ClientLimits.DEFAULTS.withMaxConnectionsPerAddress(20),
                listener("limits: {max-connections-per-address: 20}").limits());
        assertEquals(ClientLimits.DEFAULTS, listener("limits: {max-connections-per-address: 0}").limits());
    }

    @Test
    void badValuesAreRefusedWithTheirPlace() {
        assertRejected(LISTENER.formatted("timeouts: {body-total: 0s}"),
                "kodiak.yaml:4: listeners[0].timeouts.body-total: \"0s\" must be greater than 0");
        assertRejected(LISTENER.formatted("timeouts: {body-total: 30}"),
                "kodiak.yaml:4: listeners[0].timeouts.body-total: \"30\" has no unit (units are required: ms, s, m, h)");
        assertRejected(LISTENER.formatted("timeouts: {send-min-rate: fast}"),
                "kodiak.yaml:4: listeners[0].timeouts.send-min-rate: " + sizeProblem("fast"));
        assertRejected(LISTENER.formatted("limits: {max-connections-per-address: -1}"),
                "kodiak.yaml:4: listeners[0].limits.max-connections-per-address: -1 is out of range (must be 0-10000000)");
        assertRejected(LISTENER.formatted("limits: {max-connections-per-address: 10000001}"),
                "kodiak.yaml:4: listeners[0].limits.max-connections-per-address: 10000001 is out of range (must be 0-10000000)");
        assertRejected(LISTENER.formatted("limits: {max-connections-per-adress: 5}"),
                "kodiak.yaml:4: listeners[0].limits.max-connections-per-adress: unknown key; did you mean"
                        + " \"max-connections-per-address\"? (allowed: max-request-line, max-header-size, max-headers,"
                        + " max-connections, max-connections-per-address)");
    }

    /** The message {@link Values#size} gives, as the body-min-rate rate parser passes it on. */
    private static String sizeProblem(String text) {
        try {
            Values.size(text, 1L << 40);
            throw new AssertionError(text + " parsed");
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }
}
