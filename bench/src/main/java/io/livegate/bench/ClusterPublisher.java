package io.livegate.bench;

import com.hazelcast.config.Config;
import com.hazelcast.config.XmlConfigBuilder;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A backend service's way in: a clustered Vert.x joining the nodes' cluster (the same cluster.xml, name and
 * member list, set up as launcher/HazelcastSetup does) and publishing on the event bus. It joins as a
 * Hazelcast lite member: it owns no partitions, so its coming and going moves no cluster data mid-run.
 */
final class ClusterPublisher implements Publisher {
  // Held: JUL keeps loggers weakly. WARNING silences Hazelcast's logo and start-up chatter, as on the nodes.
  private static final Logger HAZELCAST_LOG = Logger.getLogger("com.hazelcast");

  private final Vertx vertx;
  private final Context context;
  private final String[] addresses;
  private final String pad;
  /** {@code --publish-mode cluster-kept}: through livegate.publish (kept and numbered), not straight on the address. */
  private final boolean kept;

  private ClusterPublisher(BenchOptions opt, Vertx vertx) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.addresses = new String[opt.channels()];
    for (int k = 0; k < addresses.length; k++) addresses[k] = opt.channelAddress(k);
    this.pad = "x".repeat(opt.payload());
    this.kept = opt.publishMode().equals("cluster-kept");
  }

  static Future<Publisher> start(BenchOptions opt) {
    HAZELCAST_LOG.setLevel(Level.WARNING);
    HazelcastClusterManager manager = new HazelcastClusterManager(hazelcastConfig(opt));
    VertxOptions options = new VertxOptions().setEventLoopPoolSize(1)
        .setEventBusOptions(new EventBusOptions().setHost(opt.clusterHost()).setPort(0));
    return Vertx.builder().with(options).withClusterManager(manager).buildClustered()
        .map(vertx -> new ClusterPublisher(opt, vertx));
  }

  static Config hazelcastConfig(BenchOptions opt) {
    Config config;
    try (InputStream in = opt.clusterConfig() == null
        ? ClusterPublisher.class.getClassLoader().getResourceAsStream("cluster.xml")
        : new FileInputStream(opt.clusterConfig())) {
      if (in == null) throw new IOException("cluster.xml is not on the class path");
      config = new XmlConfigBuilder(in).build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    config.setClusterName(opt.clusterName());
    config.setLiteMember(true);
    config.getNetworkConfig().setPort(opt.clusterPort());
    config.getNetworkConfig().getInterfaces().setEnabled(true).setInterfaces(List.of(opt.clusterHost()));
    config.setProperty("hazelcast.local.localAddress", opt.clusterHost());
    if (config.getNetworkConfig().getJoin().getTcpIpConfig().isEnabled()) {
      config.getNetworkConfig().getJoin().getTcpIpConfig().setMembers(opt.members());
    }
    return config;
  }

  @Override
  public Context context() {
    return context;
  }

  @Override
  public void publish(int channel, long seq, long sentNanos) {
    // A JsonObject, as the REST API publishes a JSON body: the nodes see the same message either way.
    JsonObject body = new JsonObject().put("seq", seq).put("sent", sentNanos);
    if (!pad.isEmpty()) body.put("pad", pad);
    if (kept) {
      // The way a backend service publishes so that browsers can recover what they missed (README, History).
      vertx.eventBus().send("livegate.publish", body, new DeliveryOptions().addHeader("address", addresses[channel]));
    } else {
      vertx.eventBus().publish(addresses[channel], body);
    }
  }

  @Override
  public int inflight() {
    return 0;
  }

  @Override
  public long errors() {
    return 0;
  }

  @Override
  public String firstError() {
    return null;
  }

  @Override
  public Future<Void> close() {
    return vertx.close();
  }
}
