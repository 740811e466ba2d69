package io.livegate.launcher;

import io.livegate.core.Addresses;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.util.EnumSet;

/**
 * What {@code /metrics} serves: one Prometheus registry per node with Vert.x's metrics (event bus, HTTP
 * servers, pools), the JVM's, and the roles' own ({@code livegate_*}).
 */
final class NodeMetrics {
  private static final String ADDRESS = Label.EB_ADDRESS.toString();
  private static final String EVENT_BUS = MetricsDomain.EVENT_BUS.getPrefix();

  private NodeMetrics() {}

  /**
   * The registry, with the event-bus meters labelled by address family ({@link Addresses#family}) rather
   * than by address: one series per chat room or service would grow without bound.
   */
  static PrometheusMeterRegistry registry() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().meterFilter(new MeterFilter() {
      @Override
      public Meter.Id map(Meter.Id id) {
        if (!id.getName().startsWith(EVENT_BUS) || id.getTag(ADDRESS) == null) return id;
        return MeterFilter.replaceTagValues(ADDRESS, Addresses::family).map(id);
      }
    });
    return registry;
  }

  /** Vert.x's metrics and the JVM's on; the event bus labelled by address (then mapped to its family) and side. */
  static MicrometerMetricsOptions options() {
    EnumSet<Label> labels = EnumSet.copyOf(MicrometerMetricsOptions.DEFAULT_LABELS);
    labels.add(Label.EB_ADDRESS);
    return new MicrometerMetricsOptions().setEnabled(true).setJvmMetricsEnabled(true).setLabels(labels);
  }
}
