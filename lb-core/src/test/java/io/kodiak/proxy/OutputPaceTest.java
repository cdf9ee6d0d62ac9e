package io.kodiak.proxy;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** send-min-rate's arithmetic on a clock of plain numbers (seconds in nanoseconds). */
class OutputPaceTest {
    private static final long S = 1_000_000_000L;
    private static final long WINDOW = 60 * S;
    private static final long RATE = 100; // 6,000 bytes per window

    @Test
    void aClientUnderTheRateIsFoundAtTheEndOfTheWindowAndNotBefore() {
        OutputPace p = new OutputPace();
        p.outputWaits(1 * S);
        p.took(5_999);
        assertFalse(p.tooSlow(1 * S + WINDOW - 1, RATE, WINDOW), "before the window ended");
        assertTrue(p.tooSlow(1 * S + WINDOW, RATE, WINDOW));
    }

    @Test
    void aClientAtTheRatePassesAndTheNextWindowStartsEmpty() {
        OutputPace p = new OutputPace();
        p.outputWaits(S);
        p.took(1_000_000); // fast at first
        assertFalse(p.tooSlow(S + WINDOW, RATE, WINDOW));
        p.took(10); // then a trickle: the first window's megabyte is no credit
        assertTrue(p.tooSlow(S + 2 * WINDOW, RATE, WINDOW));
    }

    @Test
    void timeWithNothingWaitingIsLeftOutOfTheWindow() {
        OutputPace p = new OutputPace();
        p.outputWaits(S);
        p.took(3_000);
        p.allTaken(31 * S); // the client has it all; Kodiak waits for the upstream for an hour
        assertFalse(p.tooSlow(3_000 * S, RATE, WINDOW), "no check while nothing waits");
        p.outputWaits(3_631 * S); // 30 s of waiting so far, then 30 s more
        p.took(2_999);
        assertFalse(p.tooSlow(3_660 * S, RATE, WINDOW), "59 s of waiting output: the window is not over");
        assertTrue(p.tooSlow(3_661 * S, RATE, WINDOW), "5,999 bytes in 60 s of waiting output");
    }

    @Test
    void aRateOfZeroNeverFindsAClientSlow() {
        OutputPace p = new OutputPace();
        p.outputWaits(S);
        assertFalse(p.tooSlow(1_000_000 * S, 0, WINDOW));
        p.took(7);
        assertEquals(7, p.total());
    }
}
