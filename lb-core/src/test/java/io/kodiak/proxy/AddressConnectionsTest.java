package io.kodiak.proxy;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-address connection table: the cap holds, places come back, and its size never grows. */
class AddressConnectionsTest {
    private static final byte[] A = {10, 0, 0, 1};
    private static final byte[] B = {10, 0, 0, 2};

    @Test
    void anAddressGetsItsCapAndNoMoreUntilAPlaceIsGivenBack() {
        AddressConnections t = new AddressConnections(1, 2);
        long p1 = t.acquire(A, 2);
        long p2 = t.acquire(A, 2);
        assertNotEquals(AddressConnections.REFUSED, p1);
        assertNotEquals(AddressConnections.REFUSED, p2);
        assertEquals(AddressConnections.REFUSED, t.acquire(A, 2));
        assertEquals(2, t.estimate(A), "a refusal takes nothing");
        assertNotEquals(AddressConnections.REFUSED, t.acquire(B, 2), "another address is not held back by A");
        t.release(p1);
        assertEquals(1, t.estimate(A));
        assertNotEquals(AddressConnections.REFUSED, t.acquire(A, 2));
    }

    @Test
    void aMillionDistinctAddressesFitTheSameTableAndEachIsCountedAtLeastOnce() {
        AddressConnections t = new AddressConnections(3, 4);
        long[] held = new long[1_000_000];
        byte[] address = new byte[16];
        for (int i = 0; i < held.length; i++) {
            address[12] = (byte) (i >>> 24);
            address[13] = (byte) (i >>> 16);
            address[14] = (byte) (i >>> 8);
            address[15] = (byte) i;
            // A cap of a million: none refused; the table (2 x SLOTS ints) is all the memory there is.
            held[i] = t.acquire(address, 1_000_000);
            assertNotEquals(AddressConnections.REFUSED, held[i]);
            assertTrue(t.estimate(address) >= 1, "an address is never counted below its own connections");
        }
        for (long h : held) {
            t.release(h);
        }
        for (int i = 0; i < 1000; i++) {
            address[15] = (byte) i;
            assertEquals(0, t.estimate(address), "every place was given back");
        }
    }

    @Test
    void anAttackerOverItsCapLeavesMostOtherAddressesAlone() {
        AddressConnections t = new AddressConnections(5, 6);
        // 1,000 attacking addresses each at a cap of 10: 10,000 connections, the default max-connections.
        byte[] address = new byte[4];
        for (int i = 0; i < 1000; i++) {
            address[0] = 10;
            address[2] = (byte) (i >>> 8);
            address[3] = (byte) i;
            // Up to its cap (fewer if it shares both slots with full ones), never more.
            for (int k = 0; k < 10 && t.acquire(address, 10) != AddressConnections.REFUSED; k++) {
                // taken
            }
            assertEquals(AddressConnections.REFUSED, t.acquire(address, 10));
        }
        int refused = 0;
        for (int i = 0; i < 10_000; i++) { // innocent addresses, one connection each
            address[0] = (byte) 192;
            address[2] = (byte) (i >>> 8);
            address[3] = (byte) i;
            if (t.acquire(address, 10) == AddressConnections.REFUSED) {
                refused++;
            }
        }
        // Each row has at most 10,000 / 11 slots over the cap: under 1.5% share both (see the class comment).
        assertTrue(refused < 150, refused + " of 10,000 innocent addresses refused");
    }
}
