package io.kodiak.metrics;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import javax.management.Attribute;
import javax.management.AttributeList;
import javax.management.AttributeNotFoundException;
import javax.management.DynamicMBean;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanInfo;
import javax.management.MBeanOperationInfo;
import javax.management.ReflectionException;

/**
 * The metrics of one thing (a listener, a pool, an upstream) as one read-only MBean whose attribute
 * names are already Prometheus names, so that the exporter's rules stay generic.
 *
 * <p><b>Attribute names.</b> A plain metric is an attribute named as its Prometheus name without the
 * {@code kodiak_<type>_} prefix: {@code requests_total}, {@code in_flight}. A metric with one
 * bounded label has one attribute per label value, named {@code <name>.<label>=<value>}:
 * {@code responses_total.code=2xx}. Names ending in {@code _total} are counters (Long), everything else
 * a gauge (Double). The shipped rules file ({@value PrometheusExporter#RULES_RESOURCE}) turns
 * {@code io.kodiak<type=Upstream, pool="web", upstream="a"><>responses_total.code=2xx} into
 * {@code kodiak_upstream_responses_total{pool="web",upstream="a",code="2xx"}}.
 *
 * <p><b>Latency.</b> {@link Builder#latency} exports one HdrHistogram-backed recorder as cumulative
 * bucket counters ({@code <name>_seconds_buckets_total.le=0.005} ... {@code le=+Inf}, which PromQL's
 * {@code histogram_quantile} aggregates across instances like a histogram's {@code _bucket} series),
 * {@code <name>_seconds_sum} and {@code <name>_seconds_count}, and the rolling window's quantiles
 * ({@code <name>_quantile_seconds.quantile=0.99}). The exporter cannot emit native histograms from JMX,
 * and strips a {@code _bucket} suffix from any name it is given, hence {@code _buckets_total}.
 *
 * <p>Values are read when the MBean is read (a scrape): suppliers must be cheap, non-blocking and
 * safe from any thread.
 */
public final class MetricSet implements DynamicMBean {

    /** The quantiles exported for every latency: p50, p90, p99, p99.9 of the rolling window. */
    public static final List<Double> QUANTILES = List.of(0.5, 0.9, 0.99, 0.999);

    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]*");
    private static final Pattern LABEL_VALUE = Pattern.compile("[A-Za-z0-9_.+-]+");
    private static final double NANOS_PER_SECOND = 1e9;

    private final String description;
    private final MBeanInfo info;
    private final Map<String, Supplier<Object>> values;
    private final List<String> names;

    private MetricSet(String description, List<MBeanAttributeInfo> attributes, Map<String, Supplier<Object>> values) {
        this.description = description;
        this.info = new MBeanInfo(MetricSet.class.getName(), description, attributes.toArray(new MBeanAttributeInfo[0]),
                null, new MBeanOperationInfo[0], null);
        this.values = values;
        this.names = attributes.stream().map(MBeanAttributeInfo::getName).toList();
    }

    /** @param description what the MBean describes, e.g. {@code "upstream web/a"} */
    public static Builder builder(String description) {
        return new Builder(description);
    }

    /** @return every attribute name, in the order added */
    public List<String> attributeNames() {
        return names;
    }

    @Override
    public Object getAttribute(String attribute) throws AttributeNotFoundException {
        Supplier<Object> s = values.get(attribute);
        if (s == null) {
            throw new AttributeNotFoundException(attribute + " is not an attribute of " + description);
        }
        return s.get();
    }

    @Override
    public void setAttribute(Attribute attribute) throws AttributeNotFoundException {
        throw new AttributeNotFoundException(attribute.getName() + " is read-only");
    }

    @Override
    public AttributeList getAttributes(String[] attributes) {
        AttributeList list = new AttributeList(attributes.length);
        for (String a : attributes) {
            Supplier<Object> s = values.get(a);
            if (s != null) {
                list.add(new Attribute(a, s.get()));
            }
        }
        return list;
    }

    @Override
    public AttributeList setAttributes(AttributeList attributes) {
        return new AttributeList();
    }

    @Override
    public Object invoke(String actionName, Object[] params, String[] signature) throws ReflectionException {
        throw new ReflectionException(new NoSuchMethodException(actionName), "no operations on " + description);
    }

    @Override
    public MBeanInfo getMBeanInfo() {
        return info;
    }

    @Override
    public String toString() {
        return "MetricSet[" + description + ", " + names.size() + " attributes]";
    }

    /** @return a bucket bound in seconds as Prometheus writes it: {@code 0.0025}, {@code 1}, {@code 60} */
    static String seconds(long nanos) {
        return BigDecimal.valueOf(nanos).movePointLeft(9).stripTrailingZeros().toPlainString();
    }

    /** Collects the attributes of one {@link MetricSet}; names are checked when added. */
    public static final class Builder {
        private final String description;
        private final List<MBeanAttributeInfo> attributes = new ArrayList<>();
        private final Map<String, Supplier<Object>> values = new HashMap<>();

        private Builder(String description) {
            this.description = description;
        }

        /** A counter; {@code name} ends in {@code _total}. */
        public Builder counter(String name, String help, LongSupplier value) {
            return add(checkCounter(name), help, "java.lang.Long", value::getAsLong);
        }

        /** One series of a counter with one label. */
        public Builder counter(String name, String label, String labelValue, String help, LongSupplier value) {
            return add(labelled(checkCounter(name), label, labelValue), help, "java.lang.Long", value::getAsLong);
        }

        /** A gauge; {@code name} must not end in {@code _total}. */
        public Builder gauge(String name, String help, DoubleSupplier value) {
            return add(checkGauge(name), help, "java.lang.Double", value::getAsDouble);
        }

        /** One series of a gauge with one label. */
        public Builder gauge(String name, String label, String labelValue, String help, DoubleSupplier value) {
            return add(labelled(checkGauge(name), label, labelValue), help, "java.lang.Double", value::getAsDouble);
        }

        /**
         * A latency as bucket counters, sum, count and window quantiles (see the class comment).
         *
         * @param name     without unit, e.g. {@code response_duration}
         * @param snapshot usually {@link LatencyRecorder#current()}: counts up to the scrape
         */
        public Builder latency(String name, String help, Supplier<LatencySnapshot> snapshot) {
            checkGauge(name);
            long[] bounds = snapshot.get().bucketUpperBoundsNanos();
            for (int i = 0; i <= bounds.length; i++) {
                int index = i;
                String le = i == bounds.length ? "+Inf" : seconds(bounds[i]);
                counter(name + "_seconds_buckets_total", "le", le, help + ": requests that took at most le seconds (cumulative)",
                        () -> {
                            LatencySnapshot s = snapshot.get();
                            return index == bounds.length ? s.cumulativeCount() : s.cumulativeBucketCounts()[index];
                        });
            }
            gauge(name + "_seconds_sum", help + ": sum of all durations, seconds",
                    () -> snapshot.get().cumulativeSumNanos() / NANOS_PER_SECOND);
            gauge(name + "_seconds_count", help + ": count of all durations",
                    () -> snapshot.get().cumulativeCount());
            for (double q : QUANTILES) {
                gauge(name + "_quantile_seconds", "quantile", BigDecimal.valueOf(q).stripTrailingZeros().toPlainString(),
                        help + ": quantile over the last minute, seconds (NaN when nothing was recorded)",
                        () -> {
                            LatencySnapshot s = snapshot.get();
                            return s.count() == 0 ? Double.NaN : s.valueAtPercentile(q * 100) / NANOS_PER_SECOND;
                        });
            }
            return this;
        }

        public MetricSet build() {
            return new MetricSet(description, List.copyOf(attributes), Map.copyOf(values));
        }

        private Builder add(String attribute, String help, String type, Supplier<Object> value) {
            if (values.putIfAbsent(attribute, value) != null) {
                throw new IllegalArgumentException(description + ": attribute " + attribute + " added twice");
            }
            attributes.add(new MBeanAttributeInfo(attribute, type, help, true, false, false));
            return this;
        }

        private static String checkCounter(String name) {
            if (!NAME.matcher(name).matches() || !name.endsWith("_total")) {
                throw new IllegalArgumentException("a counter's name is lower_snake_case ending in _total: " + name);
            }
            return name;
        }

        private static String checkGauge(String name) {
            if (!NAME.matcher(name).matches() || name.endsWith("_total")) {
                throw new IllegalArgumentException("a gauge's name is lower_snake_case not ending in _total: " + name);
            }
            return name;
        }

        private static String labelled(String name, String label, String value) {
            if (!NAME.matcher(label).matches() || !LABEL_VALUE.matcher(value).matches()) {
                throw new IllegalArgumentException("bad label " + label + "=" + value + " for " + name);
            }
            return name + '.' + label + '=' + value;
        }
    }
}
