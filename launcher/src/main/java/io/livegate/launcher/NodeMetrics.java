package io.livegate.launcher;

import io.livegate.core.Addresses;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.eventbus.EventBus;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.util.EnumSet;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * What {@code /metrics} serves: one Prometheus registry per node with Vert.x's metrics (event bus, HTTP
 * servers, pools), the JVM's, and the roles' own ({@code livegate_*}).
 */
final class NodeMetrics {
  private static final String ADDRESS = Label.EB_ADDRESS.toString();
  private static final String EVENT_BUS = MetricsDomain.EVENT_BUS.getPrefix();
  static final String PUBLISHED = "livegate.messages.published";

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

  /**
   * Vert.x's metrics and the JVM's on; the event bus labelled by address (then mapped to its family) and side.
   *
   * <p>Each call names a backend of its own. Vert.x's Micrometer module keeps its backends in a static map by
   * registry name and hands a second Vert.x with the same name (the default, {@code "default"}) the first one's
   * registry, whatever registry its factory was given: the warm-up's private Vert.x then counted its 6,006 upgrades
   * in the node's {@code vertx_http_server_*} meters, and nodes in one JVM (the tests) shared one.
   */
  static MicrometerMetricsOptions options() {
    EnumSet<Label> labels = EnumSet.copyOf(MicrometerMetricsOptions.DEFAULT_LABELS);
    labels.add(Label.EB_ADDRESS);
    return new MicrometerMetricsOptions().setEnabled(true).setJvmMetricsEnabled(true).setLabels(labels)
        .setRegistryName("livegate-" + REGISTRIES.incrementAndGet());
  }

  private static final AtomicInteger REGISTRIES = new AtomicInteger();

  /**
   * Counts the messages this node publishes, once per publication, by address family. (Vert.x's
   * {@code vertx_eventbus_published_total} counts a publication once per node it is written to.)
   */
  static void countPublications(EventBus eventBus, MeterRegistry registry) {
    Map<String, Counter> byFamily = Addresses.FAMILIES.stream().collect(Collectors.toUnmodifiableMap(
        Function.identity(),
        family -> Counter.builder(PUBLISHED).tag("family", family)
            .description("Messages published from this node, by address family").register(registry)));
    eventBus.addOutboundInterceptor(delivery -> {
      if (!delivery.message().isSend()) byFamily.get(Addresses.family(delivery.message().address())).increment();
      delivery.next();
    });
  }
}
