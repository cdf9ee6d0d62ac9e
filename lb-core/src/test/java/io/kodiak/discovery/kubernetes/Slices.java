package io.kodiak.discovery.kubernetes;

import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;

import java.util.List;

/** EndpointSlices as the EndpointSlice controller writes them, for the tests. */
final class Slices {
    private Slices() {
    }

    static EndpointSlice slice(String service, String name, List<EndpointPort> ports, Endpoint... endpoints) {
        return new EndpointSliceBuilder()
                .withNewMetadata().withName(name).addToLabels(EndpointSliceWatch.SERVICE_LABEL, service).endMetadata()
                .withAddressType("IPv4").withPorts(ports).withEndpoints(endpoints).build();
    }

    static EndpointPort port(String name, int number) {
        return new EndpointPort(null, name, number, "TCP");
    }

    static Endpoint ready(String address, String pod) {
        return endpoint(address, pod, new EndpointConditions(true, true, false));
    }

    static Endpoint endpoint(String address, String pod, EndpointConditions conditions) {
        return new EndpointBuilder().withAddresses(address).withConditions(conditions)
                .withNewTargetRef().withKind("Pod").withName(pod).endTargetRef().withZone("zone-a").build();
    }

    /** ready, serving, terminating, in the API's order (any may be null). */
    static EndpointConditions conditions(Boolean ready, Boolean serving, Boolean terminating) {
        return new EndpointConditions(ready, serving, terminating);
    }
}
