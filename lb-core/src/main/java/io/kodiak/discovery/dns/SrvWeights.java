package io.kodiak.discovery.dns;

import org.xbill.DNS.SRVRecord;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * SRV weights (0..65535, RFC 2782) in Kodiak's scale 1..1000: {@code max(1, round(w × 1000 / max))}
 * where {@code max} is the largest weight <em>of the same priority</em>. Weights only mean something
 * against the others of their priority (RFC 2782 picks among one priority at a time), and scaling
 * each tier to its own maximum keeps the most resolution: 1:3 in one tier is 333:1000 whatever
 * another tier holds. A weight 0 in a tier with others becomes 1 (rarely chosen, as the RFC says);
 * a tier of only zeros gets 1 each (equal shares). nginx's {@code service=} and HAProxy's
 * {@code server-template} also take the SRV weight as the server's weight.
 */
final class SrvWeights {
    static final int MAX = 1000;

    private SrvWeights() {
    }

    /** The Kodiak weight of each record, in the order given. */
    static int[] map(List<SRVRecord> records) {
        Map<Integer, Integer> maxByPriority = new HashMap<>();
        for (SRVRecord r : records) {
            maxByPriority.merge(r.getPriority(), r.getWeight(), Math::max);
        }
        int[] weights = new int[records.size()];
        for (int i = 0; i < weights.length; i++) {
            SRVRecord r = records.get(i);
            weights[i] = weight(r.getWeight(), maxByPriority.get(r.getPriority()));
        }
        return weights;
    }

    static int weight(int srvWeight, int maxOfPriority) {
        if (maxOfPriority <= 0) {
            return 1;
        }
        long scaled = Math.round(srvWeight * (double) MAX / maxOfPriority);
        return (int) Math.max(1, Math.min(MAX, scaled));
    }
}
