package io.kodiak.accesslog;

import org.junit.jupiter.api.Test;

import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.stream.Collectors;

import static io.kodiak.accesslog.Entries.format;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AccessLogTemplateFormatTest {
    private static final String EVERY_VARIABLE = Arrays.stream(Variable.values())
            .map(v -> v.varName() + "=$" + v.varName()).collect(Collectors.joining(" "));

    @Test
    void everyVariableOfAFullEntry() {
        assertEquals("remote_addr=192.0.2.7 remote_port=51234 realip_remote_addr=192.0.2.7 remote_user=demo"
                + " time_local=04/Dec/2026:18:04:25 +0000"
                        + " time_iso8601=2026-12-04T18:04:25+00:00 msec=1796407465.123"
                        + " request=GET /v1/items?id=3 HTTP/1.1 request_method=GET request_uri=/v1/items?id=3"
                        + " server_protocol=HTTP/1.1 status=200 request_length=312 bytes_sent=1480"
                        + " body_bytes_sent=1200 request_time=0.042 upstream_addr=10.0.0.2:8000"
                        + " upstream_connect_time=0.001 upstream_header_time=0.030 upstream_response_time=0.041"
                        + " request_id=0123456789abcdef0123456789abcdef http_user_agent=curl/8.5.0"
                        + " http_referer=https://example.com/ listener=public pool=api route=api-v1 upstream_name=web-2"
                        + " attempts=2 queue_time=0.003 termination=--",
                format(TemplateFormat.parse(EVERY_VARIABLE, ZoneOffset.UTC), Entries.full()));
    }

    @Test
    void absentValuesAreDashes() {
        assertEquals("- - - 400 - - - - - - PR 0 0.000",
                format(TemplateFormat.parse("$request $request_method $request_uri $status $pool"
                        + " $upstream_name $upstream_addr $upstream_connect_time $upstream_response_time"
                        + " $http_user_agent $termination $attempts $queue_time", ZoneOffset.UTC), Entries.sparse()));
    }

    @Test
    void bracedNamesAndLiteralsAroundThem() {
        assertEquals("[200ms] 0.042s id=0123456789abcdef0123456789abcdef",
                format(TemplateFormat.parse("[${status}ms] ${request_time}s id=$request_id", ZoneOffset.UTC), Entries.full()));
    }

    @Test
    void clientValuesAreEscapedSoTheLineStaysOne() {
        String line = format(TemplateFormat.parse("$http_user_agent|$status", ZoneOffset.UTC),
                Entries.withAgent("x\"\n\u0000é\ud83d\ude00\ud83d"));
        // é is one byte (ISO-8859-1 decoded); the emoji is its 4 UTF-8 bytes; a lone surrogate is '?'.
        assertEquals("x\\x22\\x0A\\x00\\xE9\\xF0\\x9F\\x98\\x80\\x3F|200", line);
    }

    @Test
    void unknownVariableNamesTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TemplateFormat.parse("$remote_addr $upstream_status"));
        assertTrue(e.getMessage().startsWith("unknown access log variable $upstream_status; known: $remote_addr $remote_port"),
                e.getMessage());
        for (Variable v : Variable.values()) {
            assertTrue(e.getMessage().contains("$" + v.varName()), v.varName());
        }
    }

    @Test
    void malformedTemplatesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> TemplateFormat.parse("cost $ 5"));
        assertThrows(IllegalArgumentException.class, () -> TemplateFormat.parse("${status"));
        assertThrows(IllegalArgumentException.class, () -> TemplateFormat.parse("$status\n$request"));
    }

    @Test
    void aConfigurationNamesCombinedJsonOrATemplateAndTextWithoutAVariableIsATypo() {
        java.time.ZoneId utc = java.time.ZoneOffset.UTC;
        assertEquals(Entries.format(AccessLogFormat.combined(utc), Entries.full()),
                Entries.format(AccessLogFormat.named("combined", utc), Entries.full()));
        assertEquals(Entries.format(AccessLogFormat.json(utc), Entries.full()),
                Entries.format(AccessLogFormat.named("json", utc), Entries.full()));
        assertEquals("200 public", Entries.format(AccessLogFormat.named("$status $listener", utc), Entries.full()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AccessLogFormat.named("combind", utc));
        assertEquals("unknown format \"combind\" (expected combined, json, or a template of $variables such as"
                + " '$remote_addr $status $request_time')", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> AccessLogFormat.named("$status $nope", utc));
        assertTrue(e.getMessage().startsWith("unknown access log variable $nope; known: "), e.getMessage());
    }

    @Test
    void terminationCodesAreUniqueAndTwoCharacters() {
        for (Termination t : Termination.values()) {
            assertEquals(2, t.code().length(), t.name());
            assertEquals(t, Termination.ofCode(t.code()));
        }
    }
}
