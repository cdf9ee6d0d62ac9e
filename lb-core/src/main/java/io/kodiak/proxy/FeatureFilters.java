package io.kodiak.proxy;

import io.kodiak.config.FeatureConfig;
import io.kodiak.filter.Filters;
import io.kodiak.filter.LogFilter;
import io.kodiak.filter.RequestFilter;
import io.kodiak.filter.ResponseFilter;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns a listener's or route's {@link FeatureConfig} sections into the filters of its phases, in
 * the order the sections were read. Built once per configuration (and per reload), never per request.
 */
final class FeatureFilters {
    private FeatureFilters() {
    }

    /** The filters of {@code features}, or {@link Filters#NONE} when there are none. */
    static Filters of(List<FeatureConfig> features) {
        if (features.isEmpty()) {
            return Filters.NONE;
        }
        List<RequestFilter> request = new ArrayList<>();
        List<ResponseFilter> response = new ArrayList<>();
        for (FeatureConfig f : features) {
            // header rules

            // rewrite

            // redirect

            // respond

            // static
            if (f instanceof io.kodiak.config.StaticConfig c) {
                request.add(new io.kodiak.files.StaticSite(c));
                continue;
            }

            // error pages

            // compression

            throw new IllegalArgumentException("no filters for " + f);
        }
        if (request.isEmpty() && response.isEmpty()) {
            return Filters.NONE;
        }
        return new Filters(request.toArray(new RequestFilter[0]), response.toArray(new ResponseFilter[0]), new LogFilter[0]);
    }
}
