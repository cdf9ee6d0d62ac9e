package io.kodiak.balancer;

import io.kodiak.config.UpstreamConfig;
import io.kodiak.upstream.Upstream;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConsistentHashTest {
    private static final int KEYS = 20_000;

    private static Upstream up(String name, int weight) {
        return new Upstream("p", new UpstreamConfig(name, "127.0.0.1", 9000, weight));
    }

    private static List<Upstream> ups(int n) {
        List<Upstream> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(up("u" + i, 1));
        }
        return list;
    }

    private static Map<Integer, String> assign(ConsistentHash<Upstream> h) {
        Map<Integer, String> owner = new HashMap<>();
        for (int k = 0; k < KEYS; k++) {
            owner.put(k, h.pick(ConsistentHash.hash("key-" + k), u -> true).name());
        }
        return owner;
    }

    @Test
    void theSameKeyAlwaysGoesToTheSameUpstream() {
        ConsistentHash<Upstream> h = new ConsistentHash<>(ups(4), 0);
        long key = ConsistentHash.hash("user-42");
        String first = h.pick(key, u -> true).name();
        for (int i = 0; i < 100; i++) {
            assertEquals(first, h.pick(key, u -> true).name());
        }
        assertEquals(first, new ConsistentHash<>(ups(4), 0).pick(key, u -> true).name(), "a rebuilt ring agrees");
    }

    @Test
    void addingAnUpstreamMovesAboutOneNthOfTheKeysAndOnlyToIt() {
        Map<Integer, String> before = assign(new ConsistentHash<>(ups(4), 0));
        Map<Integer, String> after = assign(new ConsistentHash<>(ups(5), 0));
        int moved = 0;
        for (int k = 0; k < KEYS; k++) {
            if (!before.get(k).equals(after.get(k))) {
                moved++;
                assertEquals("u4", after.get(k), "a key may only move to the new upstream");
            }
        }
        double share = moved / (double) KEYS;
        assertTrue(share > 0.12 && share < 0.28, "about 1/5 of the keys move: " + share);
    }

    @Test
    void removingAnUpstreamMovesOnlyItsKeys() {
        Map<Integer, String> before = assign(new ConsistentHash<>(ups(5), 0));
        Map<Integer, String> after = assign(new ConsistentHash<>(ups(4), 0));
        for (int k = 0; k < KEYS; k++) {
            if (!before.get(k).equals("u4")) {
                assertEquals(before.get(k), after.get(k), "key " + k + " moved though its upstream stayed");
            }
        }
    }

    @Test
    void sharesFollowWeights() {
        List<Upstream> list = List.of(up("heavy", 3), up("light", 1));
        Map<String, Integer> counts = new HashMap<>();
        assign(new ConsistentHash<>(list, 0)).values().forEach(n -> counts.merge(n, 1, Integer::sum));
        double heavy = counts.get("heavy") / (double) KEYS;
        assertTrue(heavy > 0.68 && heavy < 0.82, "weight 3 of 4 takes about 75 %: " + heavy);
    }

    @Test
    void aLoadedOwnerSpillsItsKeysToTheNextUpstreamOnTheRing() {
        List<Upstream> list = ups(4);
        ConsistentHash<Upstream> h = new ConsistentHash<>(list, 125);
        long key = ConsistentHash.hash("hot");
        Upstream owner = h.pick(key, u -> true);
        // Total in flight 8, all on the owner: its bound is ceil(1.25 × 9 / 4) = 3.
        for (int i = 0; i < 8; i++) {
            owner.begin();
        }
        Upstream spill = h.pick(key, u -> true);
        assertNotEquals(owner, spill);
        assertEquals(spill, h.pick(key, u -> true), "the spill target is stable too");
        for (int i = 0; i < 8; i++) {
            owner.end();
        }
        assertEquals(owner, h.pick(key, u -> true), "back to the owner once its load drops");
    }

    @Test
    void withoutABoundTheOwnerKeepsItsKeysWhateverItsLoad() {
        List<Upstream> list = ups(4);
        ConsistentHash<Upstream> h = new ConsistentHash<>(list, 0);
        long key = ConsistentHash.hash("hot");
        Upstream owner = h.pick(key, u -> true);
        for (int i = 0; i < 100; i++) {
            owner.begin();
        }
        assertEquals(owner, h.pick(key, u -> true));
    }

    @Test
    void whenEveryUpstreamIsAtItsBoundTheWalkStillPicksOne() {
        List<Upstream> list = ups(2);
        ConsistentHash<Upstream> h = new ConsistentHash<>(list, 100);
        long key = ConsistentHash.hash("k");
        Upstream owner = h.pick(key, u -> true);
        for (Upstream u : list) {
            for (int i = 0; i < 5; i++) {
                u.begin(); // both at 5, bound ceil(1.0 × 11 / 2) = 6: still under
            }
        }
        assertEquals(owner, h.pick(key, u -> true));
        for (int i = 0; i < 10; i++) {
            owner.begin(); // owner 15, other 5: total 20, bound 11
        }
        assertNotEquals(owner, h.pick(key, u -> true));
        for (Upstream u : list) {
            if (u != owner) {
                for (int i = 0; i < 20; i++) {
                    u.begin(); // both over the bound now
                }
            }
        }
        assertEquals(owner, h.pick(key, u -> true), "falls back to the first eligible upstream on the walk");
    }

    @Test
    void ineligibleUpstreamsAreWalkedPast() {
        List<Upstream> list = ups(3);
        ConsistentHash<Upstream> h = new ConsistentHash<>(list, 0);
        long key = ConsistentHash.hash("k");
        Upstream owner = h.pick(key, u -> true);
        Upstream next = h.pick(key, u -> u != owner);
        assertNotEquals(owner, next);
        assertNull(h.pick(key, u -> false));
    }
}
