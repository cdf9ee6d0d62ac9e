package io.kodiak.admin;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class JsonTest {

    static void assertRejected(String text, String expected) {
        Json.ParseException e = assertThrows(Json.ParseException.class, () -> Json.parse(text), text);
        assertEquals(expected, e.getMessage(), text);
    }

    /** Builds a LinkedHashMap from alternating keys and values, to compare with what parse returns. */
    static Map<String, Object> obj(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int k = 0; k < kv.length; k += 2) {
            m.put((String) kv[k], kv[k + 1]);
        }
        return m;
    }

    // ------------------------------------------------------------------ parsing

    @Test
    void scalars() throws Exception {
        assertEquals(Boolean.TRUE, Json.parse("true"));
        assertEquals(Boolean.FALSE, Json.parse("false"));
        assertNull(Json.parse("null"));
        assertEquals("x", Json.parse("\"x\""));
        assertEquals("", Json.parse("\"\""));
        assertEquals(0L, Json.parse("0"));
        assertEquals(0L, Json.parse("-0"));
        assertEquals(-12L, Json.parse("-12"));
    }

    @Test
    void objectsKeepTheirOrderAndArraysAreArrayLists() throws Exception {
        Object v = Json.parse("{\"z\": 1, \"a\": [true, null, \"s\"], \"m\": {}, \"e\": []}");
        Map<?, ?> m = assertInstanceOf(LinkedHashMap.class, v);
        assertEquals(List.of("z", "a", "m", "e"), new ArrayList<>(m.keySet()));
        assertInstanceOf(ArrayList.class, m.get("a"));
        assertEquals(Arrays.asList(true, null, "s"), m.get("a"));
        assertEquals(Map.of(), m.get("m"));
        assertInstanceOf(LinkedHashMap.class, m.get("m"));
        assertInstanceOf(ArrayList.class, m.get("e"));
    }

    @Test
    void whitespaceAroundAndBetweenTokens() throws Exception {
        assertEquals(obj("a", List.of(1L, 2L)), Json.parse(" \t\r\n{ \"a\" :\t[ 1 ,\r\n2 ] }\n"));
    }

    @Test
    void integersAreLongsAndEverythingElseDoubles() throws Exception {
        assertEquals(42L, Json.parse("42"));
        assertEquals(Long.MAX_VALUE, Json.parse("9223372036854775807"));
        assertEquals(Long.MIN_VALUE, Json.parse("-9223372036854775808"));
        assertEquals(1.5, Json.parse("1.5"));
        assertEquals(2.0, Json.parse("2.0"));
        assertEquals(1000.0, Json.parse("1e3"));
        assertEquals(100.0, Json.parse("1E+2"));
        assertEquals(-0.01, Json.parse("-1e-2"));
        assertEquals(0.0, Json.parse("1e-400"));
    }

    @Test
    void integersBeyondLongBecomeDoubles() throws Exception {
        assertEquals(9.223372036854775808e18, Json.parse("9223372036854775808"));
        assertEquals(-9.223372036854775809e18, Json.parse("-9223372036854775809"));
        assertEquals(1e30, Json.parse("1" + "0".repeat(30)));
        assertInstanceOf(Double.class, Json.parse("123456789012345678901234567890"));
    }

    @Test
    void escapes() throws Exception {
        assertEquals("\" \\ / \b \f \n \r \t", Json.parse("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\""));
        assertEquals("A\u00e9\u2028", Json.parse("\"\\u0041\\u00E9\\u2028\""));
        assertEquals("ab\ncd", Json.parse("\"ab\\ncd\""));
        assertEquals("caf\u00e9 \u65e5\u672c", Json.parse("\"caf\u00e9 \u65e5\u672c\""));
    }

    @Test
    void surrogatePairs() throws Exception {
        assertEquals("\uD83D\uDE00", Json.parse("\"\\uD83D\\uDE00\""));
        assertEquals("\uD83D\uDE00", Json.parse("\"\\ud83d\\ude00\""));
        assertEquals("\uD83D\uDE00", Json.parse("\"\uD83D\uDE00\""));
        assertEquals(0x1F600, ((String) Json.parse("\"\\uD83D\\uDE00\"")).codePointAt(0));
        // lone surrogates from escapes are kept as they are
        assertEquals("\uD800x", Json.parse("\"\\uD800x\""));
        assertEquals("\uDC00", Json.parse("\"\\uDC00\""));
    }

    @Test
    void depthLimit() throws Exception {
        Object v = Json.parse("[".repeat(64) + "]".repeat(64));
        for (int k = 1; k < 64; k++) {
            v = ((List<?>) v).get(0);
        }
        assertEquals(List.of(), v);
        assertRejected("[".repeat(65) + "]".repeat(65), "line 1, column 65: nesting deeper than 64 levels");
        assertRejected("{\"a\":".repeat(65) + "1" + "}".repeat(65),
                "line 1, column " + (5 * 64 + 1) + ": nesting deeper than 64 levels");
        assertInstanceOf(Map.class, Json.parse("{\"a\":".repeat(32) + "[".repeat(32) + "1" + "]".repeat(32) + "}".repeat(32)));
    }

    @Test
    void duplicateKeys() {
        assertRejected("{\"state\": \"drain\",\n  \"state\": \"ready\"}", "line 2, column 3: duplicate key \"state\"");
        assertRejected("{\"a\": {\"b\": 1, \"b\": 1}}", "line 1, column 16: duplicate key \"b\"");
        assertRejected("{\"a\\n\": 1, \"a\\u000a\": 2}", "line 1, column 12: duplicate key \"a\\n\"");
    }

    @Test
    void exceptionExposesLineAndColumn() {
        Json.ParseException e = assertThrows(Json.ParseException.class, () -> Json.parse("[\r\n  x]"));
        assertEquals(2, e.line());
        assertEquals(3, e.column());
        assertEquals("line 2, column 3: expected a value but found 'x'", e.getMessage());
        assertRejected("[1,\n2,\r3,\n\n  }]", "line 5, column 3: expected a value but found '}'");
        // a surrogate pair is one column
        assertRejected("[\"\uD83D\uDE00\" x]", "line 1, column 6: expected ',' or ']' but found 'x'");
    }

    // ------------------------------------------------------------------ rejections

    @Test
    void rejectsEmptyInput() {
        assertRejected("", "line 1, column 1: empty input");
        assertRejected(" \n\t ", "line 1, column 1: empty input");
    }

    @Test
    void rejectsWhatFollowsTheValue() {
        assertRejected("{} x", "line 1, column 4: expected end of input but found 'x'");
        assertRejected("1 2", "line 1, column 3: expected end of input but found '2'");
        assertRejected("[1]]", "line 1, column 4: expected end of input but found ']'");
        assertRejected("truex", "line 1, column 5: expected end of input but found 'x'");
    }

    @Test
    void rejectsBadSeparators() {
        assertRejected("{\"a\": 1 x}", "line 1, column 9: expected ',' or '}' but found 'x'");
        assertRejected("[1 2]", "line 1, column 4: expected ',' or ']' but found '2'");
        assertRejected("{\"a\" 1}", "line 1, column 6: expected ':' after the key but found '1'");
        assertRejected("{\"a\"=1}", "line 1, column 5: expected ':' after the key but found '='");
        assertRejected("[1;2]", "line 1, column 3: expected ',' or ']' but found ';'");
    }

    @Test
    void rejectsTruncatedInput() {
        assertRejected("[", "line 1, column 2: expected a value but found end of input");
        assertRejected("{", "line 1, column 2: expected a string key or '}' but found end of input");
        assertRejected("{\"a\":1", "line 1, column 7: expected ',' or '}' but found end of input");
        assertRejected("{\"a\":", "line 1, column 6: expected a value but found end of input");
        assertRejected("[1,", "line 1, column 4: expected a value but found end of input");
        assertRejected("-", "line 1, column 2: expected a digit after '-' but found end of input");
    }

    @Test
    void rejectsTrailingCommas() {
        assertRejected("[1,]", "line 1, column 4: expected a value but found ']'");
        assertRejected("{\"a\": 1,}", "line 1, column 9: expected a string key but found '}'");
        assertRejected("[,]", "line 1, column 2: expected a value but found ','");
        assertRejected("{,}", "line 1, column 2: expected a string key or '}' but found ','");
    }

    @Test
    void rejectsComments() {
        assertRejected("[1] // note", "line 1, column 5: expected end of input but found '/'");
        assertRejected("/* note */ 1", "line 1, column 1: expected a value but found '/'");
        assertRejected("{\"a\": 1 /* note */}", "line 1, column 9: expected ',' or '}' but found '/'");
        assertRejected("# note\n1", "line 1, column 1: expected a value but found '#'");
    }

    @Test
    void rejectsSingleQuotesAndUnquotedKeys() {
        assertRejected("{'a': 1}", "line 1, column 2: expected a string key or '}' but found \"'\"");
        assertRejected("['a']", "line 1, column 2: expected a value but found \"'\"");
        assertRejected("{a: 1}", "line 1, column 2: expected a string key or '}' but found 'a'");
        assertRejected("{\"a\": 1, b: 2}", "line 1, column 10: expected a string key but found 'b'");
        assertRejected("{1: 2}", "line 1, column 2: expected a string key or '}' but found '1'");
    }

    @Test
    void rejectsBadLiterals() {
        assertRejected("tru", "line 1, column 1: expected a value but found 'tru'");
        assertRejected("True", "line 1, column 1: expected a value but found 'True'");
        assertRejected("nul", "line 1, column 1: expected a value but found 'nul'");
        assertRejected("undefined", "line 1, column 1: expected a value but found 'undefined'");
        assertRejected("[" + "x".repeat(30) + "]", "line 1, column 2: expected a value but found '" + "x".repeat(20) + "...'");
    }

    @Test
    void rejectsBadNumbers() {
        assertRejected("01", "line 1, column 1: leading zeros are not allowed in numbers");
        assertRejected("[-007]", "line 1, column 2: leading zeros are not allowed in numbers");
        assertRejected("00.5", "line 1, column 1: leading zeros are not allowed in numbers");
        assertRejected("+1", "line 1, column 1: expected a value but found '+'");
        assertRejected(".5", "line 1, column 1: expected a value but found '.'");
        assertRejected("-.5", "line 1, column 2: expected a digit after '-' but found '.'");
        assertRejected("1.", "line 1, column 3: expected a digit after '.' but found end of input");
        assertRejected("[1.]", "line 1, column 4: expected a digit after '.' but found ']'");
        assertRejected("1.e5", "line 1, column 3: expected a digit after '.' but found 'e5'");
        assertRejected("1e", "line 1, column 3: expected a digit in the exponent but found end of input");
        assertRejected("1e+", "line 1, column 4: expected a digit in the exponent but found end of input");
        assertRejected("1E-x", "line 1, column 4: expected a digit in the exponent but found 'x'");
        assertRejected("0x10", "line 1, column 2: expected end of input but found 'x10'");
        assertRejected("NaN", "line 1, column 1: expected a value but found 'NaN'");
        assertRejected("Infinity", "line 1, column 1: expected a value but found 'Infinity'");
        assertRejected("-Infinity", "line 1, column 2: expected a digit after '-' but found 'Infinity'");
        assertRejected("[1e999]", "line 1, column 2: number too large for a double");
        assertRejected("-1e309", "line 1, column 1: number too large for a double");
        assertRejected("1" + "0".repeat(400), "line 1, column 1: number too large for a double");
    }

    @Test
    void rejectsBadStrings() {
        assertRejected("\"abc", "line 1, column 1: unterminated string");
        assertRejected("[\"abc\\", "line 1, column 2: unterminated string");
        assertRejected("\"a\u0001b\"", "line 1, column 3: unescaped control character U+0001 in a string");
        assertRejected("\"a\nb\"", "line 1, column 3: unescaped control character U+000A in a string");
        assertRejected("\"a\tb\"", "line 1, column 3: unescaped control character U+0009 in a string");
        assertRejected("\"\\x\"", "line 1, column 2: invalid escape: '\\' followed by 'x'");
        assertRejected("\"\\'\"", "line 1, column 2: invalid escape: '\\' followed by \"'\"");
        assertRejected("\"\\U0041\"", "line 1, column 2: invalid escape: '\\' followed by 'U'");
        assertRejected("\"\\u12G4\"", "line 1, column 2: invalid \\u escape: expected 4 hex digits");
        assertRejected("\"\\u12\"", "line 1, column 2: invalid \\u escape: expected 4 hex digits");
        assertRejected("\"\\u12", "line 1, column 2: invalid \\u escape: expected 4 hex digits");
        // digits of other scripts are not hex digits
        assertRejected("\"\\u\uFF11234\"", "line 1, column 2: invalid \\u escape: expected 4 hex digits");
    }

    @Test
    void rejectsOtherWhitespace() {
        assertRejected("\u00A01", "line 1, column 1: expected a value but found U+00A0");
        assertRejected("\f1", "line 1, column 1: expected a value but found U+000C");
        assertRejected("\uFEFF{}", "line 1, column 1: expected a value but found U+FEFF");
        assertRejected("[1,\u20032]", "line 1, column 4: expected a value but found U+2003");
    }

    // ------------------------------------------------------------------ writing

    enum Mode { READY, DRAIN }

    @Test
    void writesCompact() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("z", 1);
        m.put("a", Arrays.asList(true, null, "x", 2.5));
        m.put("o", Map.of());
        m.put("l", List.of());
        assertEquals("{\"z\":1,\"a\":[true,null,\"x\",2.5],\"o\":{},\"l\":[]}", Json.write(m));
        assertEquals("null", Json.write(null));
        assertEquals("{}", Json.writePretty(Map.of()));
        assertEquals("[]", Json.writePretty(List.of()));
        assertEquals("\"x\"", Json.writePretty("x"));
    }

    @Test
    void writesEveryAcceptedType() {
        assertEquals("true", Json.write(true));
        assertEquals("\"abc\"", Json.write(new StringBuilder("abc")));
        assertEquals("\"c\"", Json.write('c'));
        assertEquals("[1,2,3,4]", Json.write(List.of(1, 2L, (short) 3, (byte) 4)));
        assertEquals("123456789012345678901234567890", Json.write(new BigInteger("123456789012345678901234567890")));
        assertEquals("1.50", Json.write(new BigDecimal("1.50")));
        assertEquals("1E+3", Json.write(new BigDecimal("1E+3")));
        assertEquals("2.0", Json.write(2.0));
        assertEquals("0.1", Json.write(0.1f));
        assertEquals("1.0E21", Json.write(1e21));
        assertEquals("\"DRAIN\"", Json.write(Mode.DRAIN));
        assertEquals("null", Json.write(Optional.empty()));
        assertEquals("\"x\"", Json.write(Optional.of("x")));
        assertEquals("[1,\"a\",null]", Json.write(new Object[] {1, "a", null}));
        assertEquals("[\"READY\",\"DRAIN\"]", Json.write(new Mode[] {Mode.READY, Mode.DRAIN}));
        assertEquals("[1,2]", Json.write(new java.util.TreeSet<>(List.of(2, 1))));
    }

    @Test
    void writtenNumbersReadBack() throws Exception {
        for (double d : new double[] {2.0, 0.1, -1.5e-7, 1e21, Double.MAX_VALUE, Double.MIN_VALUE, -0.0}) {
            assertEquals(d, Json.parse(Json.write(d)));
        }
        for (long l : new long[] {0, -1, Long.MAX_VALUE, Long.MIN_VALUE}) {
            assertEquals(l, Json.parse(Json.write(l)));
        }
    }

    @Test
    void writesPretty() {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("name", "web-1");
        inner.put("state", Mode.DRAIN);
        inner.put("weight", null);
        inner.put("tags", List.of("a", "b"));
        inner.put("empty", Map.of());
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("kodiak-state", 1);
        root.put("upstreams", List.of(inner, List.of()));
        root.put("ok", true);
        assertEquals("""
                {
                  "kodiak-state": 1,
                  "upstreams": [
                    {
                      "name": "web-1",
                      "state": "DRAIN",
                      "weight": null,
                      "tags": [
                        "a",
                        "b"
                      ],
                      "empty": {}
                    },
                    []
                  ],
                  "ok": true
                }""", Json.writePretty(root));
    }

    @Test
    void escapesStrings() {
        assertEquals("\"q\\\" b\\\\ s/\"", Json.write("q\" b\\ s/"));
        assertEquals("\"\\n\\r\\t\\b\\f\"", Json.write("\n\r\t\b\f"));
        assertEquals("\"\\u0000\\u0001\\u001f\\u000b \u007f\"", Json.write("\u0000\u0001\u001f\u000b \u007f"));
        assertEquals("\"a\\u2028b\\u2029c\"", Json.write("a\u2028b\u2029c"));
        assertEquals("\"caf\u00e9 \uD83D\uDE00\"", Json.write("caf\u00e9 \uD83D\uDE00"));
        assertEquals("{\"k\\ney\":\"\\t\"}", Json.write(Map.of("k\ney", "\t")));
    }

    @Test
    void everyCharRoundTrips() throws Exception {
        StringBuilder all = new StringBuilder();
        for (int c = 0; c <= Character.MAX_VALUE; c++) {
            all.append((char) c);
        }
        String s = all.toString();
        assertEquals(s, Json.parse(Json.write(s)));
        assertEquals(List.of(s), Json.parse(Json.writePretty(List.of(s))));
    }

    @Test
    void roundTrips() throws Exception {
        String[] texts = {
            "{\"a\":[1,2.5,-3e-7,true,false,null,\"x\\ny\"],\"b\":{\"c\":{}},\"d\":[]}",
            "[[],[[]],{},\"\\u2028\",\"\\u0000\"]",
            "\"\"",
            "-9223372036854775808",
        };
        for (String text : texts) {
            Object v = Json.parse(text);
            assertEquals(v, Json.parse(Json.write(v)), text);
            assertEquals(v, Json.parse(Json.writePretty(v)), text);
            assertEquals(Json.write(v), Json.write(Json.parse(Json.writePretty(v))), text);
        }
        assertEquals("{\"a\":[1,2.5,true,null,\"x\\ny\"],\"b\":{}}",
                Json.write(Json.parse(" { \"a\" : [ 1 , 2.5 , true , null , \"x\\ny\" ] , \"b\" : { } } ")));
    }

    @Test
    void rejectsWhatItCannotWrite() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.write(Double.NaN));
        assertEquals("cannot write NaN as JSON: numbers must be finite", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Json.write(List.of(Double.POSITIVE_INFINITY)));
        assertEquals("cannot write Infinity as JSON: numbers must be finite", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Json.write(Float.NEGATIVE_INFINITY));
        assertEquals("cannot write -Infinity as JSON: numbers must be finite", e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> Json.write(Map.of(1, "x")));
        assertEquals("cannot write a map key of java.lang.Integer as JSON: keys must be strings", e.getMessage());
        Map<Object, Object> nullKey = new HashMap<>();
        nullKey.put(null, 1);
        e = assertThrows(IllegalArgumentException.class, () -> Json.writePretty(nullKey));
        assertEquals("cannot write a map key of null as JSON: keys must be strings", e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> Json.write(List.of(new Object())));
        assertEquals("cannot write java.lang.Object as JSON", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Json.write(new int[] {1}));
        assertEquals("cannot write int[] as JSON", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Json.write(TimeUnit.SECONDS.toChronoUnit().getDuration()));
        assertEquals("cannot write java.time.Duration as JSON", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Json.write(new java.util.concurrent.atomic.AtomicLong()));
        assertEquals("cannot write java.util.concurrent.atomic.AtomicLong as JSON", e.getMessage());
    }

    @Test
    void writeDepthLimitCatchesCycles() throws Exception {
        Object deepest = List.of();
        for (int k = 1; k < 64; k++) {
            deepest = List.of(deepest);
        }
        assertEquals("[".repeat(64) + "]".repeat(64), Json.write(deepest));
        Object tooDeep = List.of(deepest);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.write(tooDeep));
        assertEquals("cannot write JSON nested deeper than 64 levels (is there a cycle?)", e.getMessage());

        List<Object> cycle = new ArrayList<>();
        cycle.add(cycle);
        assertThrows(IllegalArgumentException.class, () -> Json.writePretty(cycle));
    }
}
