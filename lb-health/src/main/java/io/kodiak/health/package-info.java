/**
 * Active health checking, independent of proxying: {@link io.kodiak.health.HealthStateMachine} (HAProxy's
 * rise/fall counter, intervals and jitter, pure logic), {@link io.kodiak.health.Probe}s such as
 * {@link io.kodiak.health.TcpConnectProbe} and {@link io.kodiak.health.UnixHttpProbe} on a shared
 * {@link io.kodiak.health.ConnectProbeLoop}, {@link io.kodiak.health.HttpProbeClient}, and
 * {@link io.kodiak.health.HealthChecker}, which schedules probes per target and reports transitions to a
 * {@link io.kodiak.health.HealthListener}.
 */
package io.kodiak.health;
