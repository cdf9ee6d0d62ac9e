package io.kodiak.filter;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** How a listener's and a route's filters combine: in order, but a body encoder last and only once. */
class FiltersThenTest {
    /** A response filter that does nothing, named for the assertions. */
    private record Plain(String name) implements ResponseFilter {
        @Override
        public BodyTransform onResponse(ResponseContext response) {
            return null;
        }
    }

    /** A filter that encodes the body, as compression does. */
    private record Encoder(String name) implements ResponseFilter {
        @Override
        public BodyTransform onResponse(ResponseContext response) {
            return null;
        }

        @Override
        public boolean encodesBody() {
            return true;
        }
    }

    private static Filters of(ResponseFilter... f) {
        return new Filters(new RequestFilter[0], f, new LogFilter[0]);
    }

    @Test
    void plainFiltersRunListenerFirstThenRoute() {
        ResponseFilter a = new Plain("listener"), b = new Plain("route");
        assertArrayEquals(new ResponseFilter[] {a, b}, of(a).then(of(b)).response());
    }

    @Test
    void theListenersEncoderRunsAfterTheRoutesOtherFilters() {
        ResponseFilter gzip = new Encoder("listener gzip"), header = new Plain("listener header"),
                route = new Plain("route header");
        assertArrayEquals(new ResponseFilter[] {header, route, gzip}, of(header, gzip).then(of(route)).response(),
                "it compresses the body the route's filters made");
    }

    @Test
    void theRoutesEncoderReplacesTheListeners() {
        ResponseFilter listener = new Encoder("listener gzip"), route = new Encoder("route gzip"),
                header = new Plain("header");
        assertArrayEquals(new ResponseFilter[] {header, route}, of(listener, header).then(of(route)).response());
        Filters none = of();
        assertSame(none, none.then(Filters.NONE));
    }
}
