package io.kodiak.proxy;

import org.glassfish.grizzly.Buffer;
import org.glassfish.grizzly.Grizzly;
import org.glassfish.grizzly.attributes.Attribute;
import org.glassfish.grizzly.filterchain.BaseFilter;
import org.glassfish.grizzly.filterchain.FilterChainContext;
import org.glassfish.grizzly.filterchain.NextAction;

/**
 * The upstream side of the data path: bytes and closes on an upstream connection go to the
 * exchange that owns it; on an idle pooled connection they retire it (an upstream that speaks
 * when not asked cannot be trusted with the next request).
 */
final class UpstreamFilter extends BaseFilter {
    static final Attribute<UpstreamConnection> UPSTREAM = Grizzly.DEFAULT_ATTRIBUTE_BUILDER.createAttribute("kodiak.upstream");

    @Override
    public NextAction handleRead(FilterChainContext ctx) {
        UpstreamConnection uc = UPSTREAM.get(ctx.getConnection());
        if (uc == null) {
            ctx.getConnection().closeSilently();
            return ctx.getStopAction();
        }
        UpstreamConnection.Owner owner = uc.owner;
        if (owner == null) {
            uc.pool.retire(uc);
        } else {
            owner.onUpstreamRead(uc, ReadBuffers.own(ctx.getMessage()));
        }
        return ctx.getStopAction();
    }

    @Override
    public NextAction handleClose(FilterChainContext ctx) {
        UpstreamConnection uc = UPSTREAM.get(ctx.getConnection());
        if (uc != null) {
            UpstreamConnection.Owner owner = uc.owner;
            if (owner == null) {
                uc.pool.retire(uc);
            } else {
                owner.onUpstreamClosed(uc);
            }
        }
        return ctx.getStopAction();
    }
}
