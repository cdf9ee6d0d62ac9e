package io.kodiak.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Objects;

/**
 * A seeded, endless byte sequence for bodies too large to hold in memory: any byte at any position
 * can be produced on demand, so a sender and a checker agree on the content without sharing it.
 *
 * <p>The sequence is defined so that Python produces it just as cheaply (the WSGI test app's
 * {@code /bytes} endpoint streams the same bytes):
 * <ul>
 *   <li>a 64 KiB <em>base block</em> is the concatenation of {@code SHA-256(seed ‖ i)} for
 *       {@code i = 0..2047}, the seed as 8 bytes big-endian two's complement and {@code i} as 4 bytes
 *       big-endian;</li>
 *   <li>the byte at position {@code p} is {@code base[(p mod 65536 + (p div 65536) * 40503) mod 65536]},
 *       i.e. block {@code k} of the stream is the base block rotated left by {@code k * 40503}.</li>
 * </ul>
 * Why rotation rather than hashing every 32 bytes: generating is then a memory copy on both sides, so
 * multi-GiB bodies cost no more than the proxy under test; and because the stride is odd, 65536
 * consecutive blocks all differ, so a dropped, duplicated or reordered buffer changes the SHA-256.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class DeterministicBytes {

    /** Size of the base block, and of the rotation unit. */
    public static final int BLOCK = 1 << 16;
    private static final int STRIDE = 40503;

    private final long seed;
    private final byte[] base;

    private DeterministicBytes(long seed) {
        this.seed = seed;
        this.base = baseBlock(seed);
    }

    /** The sequence for {@code seed}. */
    public static DeterministicBytes of(long seed) {
        return new DeterministicBytes(seed);
    }

    /** The seed this sequence was built from. */
    public long seed() {
        return seed;
    }

    /** Copies the {@code len} bytes starting at stream position {@code position} into {@code dst}. */
    public void fill(long position, byte[] dst, int off, int len) {
        Objects.checkFromIndexSize(off, len, dst.length);
        if (position < 0) {
            throw new IllegalArgumentException("negative position " + position);
        }
        long p = position;
        int done = 0;
        while (done < len) {
            int inBlock = (int) (p & (BLOCK - 1));
            int rotation = (int) (((p >>> 16) * STRIDE) & (BLOCK - 1));
            int from = (inBlock + rotation) & (BLOCK - 1);
            // One copy may run to the end of the base block or of the stream block, whichever is first.
            int n = Math.min(len - done, Math.min(BLOCK - inBlock, BLOCK - from));
            System.arraycopy(base, from, dst, off + done, n);
            done += n;
            p += n;
        }
    }

    /** The first {@code length} bytes, for bodies small enough to hold. */
    public byte[] bytes(int length) {
        byte[] out = new byte[length];
        fill(0, out, 0, length);
        return out;
    }

    /** Writes the first {@code length} bytes to {@code out} in 64 KiB pieces; does not flush. */
    public void writeTo(OutputStream out, long length) throws IOException {
        byte[] buf = new byte[BLOCK];
        for (long p = 0; p < length; ) {
            int n = (int) Math.min(buf.length, length - p);
            fill(p, buf, 0, n);
            out.write(buf, 0, n);
            p += n;
        }
    }

    /** The first {@code length} bytes as a stream; nothing is materialised beyond one read. */
    public InputStream stream(long length) {
        return new InputStream() {
            private long position;

            @Override
            public int read() {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (len == 0) {
                    return 0;
                }
                if (position >= length) {
                    return -1;
                }
                int n = (int) Math.min(len, length - position);
                fill(position, b, off, n);
                position += n;
                return n;
            }
        };
    }

    /** Lower-case hex SHA-256 of the first {@code length} bytes, computed in 64 KiB pieces. */
    public String sha256Hex(long length) {
        MessageDigest digest = CapturedBody.newSha256();
        byte[] buf = new byte[BLOCK];
        for (long p = 0; p < length; ) {
            int n = (int) Math.min(buf.length, length - p);
            fill(p, buf, 0, n);
            digest.update(buf, 0, n);
            p += n;
        }
        return CapturedBody.hex(digest.digest());
    }

    private static byte[] baseBlock(long seed) {
        byte[] block = new byte[BLOCK];
        MessageDigest digest = CapturedBody.newSha256();
        ByteBuffer input = ByteBuffer.allocate(12);
        for (int i = 0; i < BLOCK / 32; i++) {
            input.clear();
            input.putLong(seed).putInt(i);
            digest.update(input.array(), 0, 12);
            System.arraycopy(digest.digest(), 0, block, i * 32, 32);
        }
        return block;
    }

    @Override
    public String toString() {
        return "DeterministicBytes[seed=" + seed + "]";
    }
}
