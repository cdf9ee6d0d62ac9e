package io.kodiak.accesslog;

import io.kodiak.admin.Json;
import org.junit.jupiter.api.Test;

import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static io.kodiak.accesslog.Entries.format;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AccessLogJsonFormatTest {
    private final AccessLogFormat json = AccessLogFormat.json(ZoneOffset.UTC);

    @Test
    void fullEntryHasEveryFieldUnderItsName() throws Exception {
        String line = format(json, Entries.full());
        assertEquals("{\"remote_addr\":\"192.0.2.7\",\"remote_port\":51234,\"realip_remote_addr\":\"192.0.2.7\",\"remote_user\":\"demo\","
                + "\"time_iso8601\":\"2026-12-04T18:04:25+00:00\","
                + "\"msec\":1796407465.123,\"request_method\":\"GET\",\"request_uri\":\"/v1/items?id=3\","
                + "\"server_protocol\":\"HTTP/1.1\",\"status\":200,\"request_length\":312,\"bytes_sent\":1480,"
                + "\"body_bytes_sent\":1200,\"request_time\":0.042,\"upstream_addr\":\"10.0.0.2:8000\","
                + "\"upstream_connect_time\":0.001,\"upstream_header_time\":0.030,\"upstream_response_time\":0.041,"
                + "\"request_id\":\"0123456789abcdef0123456789abcdef\",\"http_user_agent\":\"curl/8.5.0\","
                + "\"http_referer\":\"https://example.com/\",\"listener\":\"public\",\"pool\":\"api\",\"route\":\"api-v1\","
                + "\"upstream_name\":\"web-2\",\"attempts\":2,\"queue_time\":0.003,\"termination\":\"--\"}", line);
        Map<?, ?> parsed = (Map<?, ?>) Json.parse(line);
        List<String> names = Arrays.stream(Variable.values()).filter(Variable::inJson).map(Variable::varName).toList();
        assertEquals(names, List.copyOf(parsed.keySet().stream().map(String::valueOf).toList()));
    }

    @Test
    void absentFieldsAreNull() throws Exception {
        Map<?, ?> parsed = (Map<?, ?>) Json.parse(format(json, Entries.sparse()));
        for (String key : List.of("request_method", "request_uri", "server_protocol", "upstream_addr",
                "upstream_connect_time", "upstream_header_time", "upstream_response_time",
                "http_user_agent", "http_referer", "pool", "route", "upstream_name", "remote_user")) {
            assertTrue(parsed.containsKey(key), key);
            assertNull(parsed.get(key), key);
        }
        assertEquals("PR", parsed.get("termination"));
    }

    @Test
    void stringsAreEscapedToOneAsciiLine() throws Exception {
        String agent = "a\"b\\c\nd\r\u0000\u001f\u007fé\u20ac\ud83d\ude00\u2028";
        String line = format(json, Entries.withAgent(agent));
        assertTrue(line.chars().allMatch(c -> c >= 0x20 && c < 0x7f), line);
        assertTrue(line.contains("\"http_user_agent\":\"a\\\"b\\\\c\\nd\\r\\u0000\\u001F\\u007F\\u00E9\\u20AC\\uD83D\\uDE00\\u2028\""), line);
        assertEquals(agent, ((Map<?, ?>) Json.parse(line)).get("http_user_agent"));
    }
}
