package io.kodiak.proxy;

import io.kodiak.config.HashConfig;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** consistent-hash over the wire: a key sticks to one upstream, and different keys spread. */
@Timeout(30)
class ConsistentHashProxyTest {
    @Test
    void eachUserStaysOnOneUpstreamAndUsersSpreadOverAll() throws Exception {
        List<ScriptedUpstream> ups = new ArrayList<>();
        try {
            for (String n : List.of("a", "b", "c")) {
                ups.add(ScriptedUpstream.start(n));
            }
            try (TestProxy proxy = ProxyConfig.to(ups.toArray(new ScriptedUpstream[0]))
                    .hash(new HashConfig(HashConfig.Source.HEADER, "x-user", 125)).start();
                 RawClient c = proxy.client()) {
                Map<String, Set<String>> seen = new HashMap<>();
                for (int round = 0; round < 3; round++) {
                    for (int user = 0; user < 30; user++) {
                        var r = c.exchange("GET / HTTP/1.1\r\nHost: x\r\nX-User: user-" + user + "\r\n\r\n");
                        assertEquals(200, r.status());
                        seen.computeIfAbsent("user-" + user, k -> new HashSet<>()).add(r.header("X-Upstream"));
                    }
                }
                seen.forEach((user, where) -> assertEquals(1, where.size(), user + " moved between " + where));
                Set<String> used = new HashSet<>();
                seen.values().forEach(used::addAll);
                assertTrue(used.size() == 3, "30 users should reach all three upstreams: " + used);
            }
        } finally {
            ups.forEach(ScriptedUpstream::close);
        }
    }
}
