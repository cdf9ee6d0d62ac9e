package io.kodiak.testing;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.util.Arrays;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class DeterministicBytesTest {

    /**
     * Digests computed by {@code deterministic_blocks} in {@code wsgi/kodiak_test_app.py}: if either
     * side changes, Java-generated and Gunicorn-served bodies would stop agreeing.
     */
    @Test
    void matchesThePythonImplementation() {
        assertEquals("2f0fd1e89b8de1d57292742ec380ea47066e307ad645f5bc3adad8a06ff58608",
                DeterministicBytes.of(0).sha256Hex(1));
        assertEquals("6fa715a2d187069fbf8b2be0e21ae6b3b408e55049131a75878a8f5b8e326ddc",
                DeterministicBytes.of(42).sha256Hex(200_003));
        assertEquals("d7a89ef8ef477f483e5d5d34b72047e86f77f8b6cfce33376952245823cdec3d",
                DeterministicBytes.of(-5).sha256Hex(3 * 65536 + 7));
        assertEquals("4d7ee6dc08df956f", HexFormat.of().formatHex(DeterministicBytes.of(42).bytes(8)));
    }

    @Test
    void fillAtAnyOffsetAgreesWithTheSequence() {
        DeterministicBytes gen = DeterministicBytes.of(9);
        byte[] whole = gen.bytes(5 * DeterministicBytes.BLOCK + 123);
        for (int start : new int[] {0, 1, 65535, 65536, 100_000, 3 * 65536 - 5}) {
            byte[] part = new byte[2 * DeterministicBytes.BLOCK];
            gen.fill(start, part, 0, part.length);
            assertArrayEquals(Arrays.copyOfRange(whole, start, start + part.length), part, "offset " + start);
        }
    }

    @Test
    void streamWriteToAndDigestAgree() throws Exception {
        DeterministicBytes gen = DeterministicBytes.of(5);
        int length = 300_001;
        ByteArrayOutputStream written = new ByteArrayOutputStream();
        gen.writeTo(written, length);
        byte[] streamed;
        try (InputStream in = gen.stream(length)) {
            streamed = in.readAllBytes();
        }
        assertArrayEquals(gen.bytes(length), written.toByteArray());
        assertArrayEquals(gen.bytes(length), streamed);
        CapturedBody.Accumulator acc = new CapturedBody.Accumulator(0);
        acc.update(streamed, 0, streamed.length);
        assertEquals(acc.finish().sha256(), gen.sha256Hex(length));
    }

    @Test
    void consecutiveBlocksAndSeedsDiffer() {
        byte[] twoBlocks = DeterministicBytes.of(1).bytes(2 * DeterministicBytes.BLOCK);
        assertFalse(Arrays.equals(twoBlocks, 0, DeterministicBytes.BLOCK,
                twoBlocks, DeterministicBytes.BLOCK, 2 * DeterministicBytes.BLOCK));
        assertFalse(Arrays.equals(DeterministicBytes.of(1).bytes(64), DeterministicBytes.of(2).bytes(64)));
    }
}
