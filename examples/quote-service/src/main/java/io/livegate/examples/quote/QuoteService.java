package io.livegate.examples.quote;

import com.hazelcast.config.Config;
import com.hazelcast.config.XmlConfigBuilder;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * An example backend service: joins the nodes' cluster as a Hazelcast lite member (it holds none of the cluster's
 * data, so it needs none of livegate's classes) and deploys {@link QuoteVerticle}. {@code java -jar
 * examples/quote-service/target/quote-service.jar --help}.
 */
public final class QuoteService {
  private static final Logger LOG = Logger.getLogger(QuoteService.class.getName());
  // Held: JUL keeps loggers weakly. Hazelcast's errors only: its logo, its advice about CP structures (none used
  // here) and its warnings about nodes that come and go are the nodes' to log, not an example service's.
  private static final Logger HAZELCAST_LOG = Logger.getLogger("com.hazelcast");

  private QuoteService() {}

  public static void main(String[] args) {
    ServiceSettings settings;
    try {
      settings = ServiceSettings.parse(args, System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println("quote-service: " + e.getMessage());
      System.exit(2);
      return;
    }
    if (settings == null) {
      System.out.print(ServiceSettings.usage());
      return;
    }
    System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tFT%1$tT.%1$tLZ %4$-7s %3$s: %5$s%6$s%n");
    start(settings).onSuccess(vertx -> {
      // SIGTERM and Ctrl-C: leave the cluster before the JVM goes (Hazelcast's own hook would only drop it).
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        LOG.info("leaving the cluster");
        vertx.close().toCompletionStage().toCompletableFuture().join();
      }, "quote-service-stop"));
    }).onFailure(e -> {
      System.err.println("quote-service: could not join the cluster: " + e.getMessage());
      System.exit(1);
    });
  }

  /** Joins the cluster and deploys the service; the Vert.x to close to leave. */
  public static Future<Vertx> start(ServiceSettings settings) {
    HAZELCAST_LOG.setLevel(Level.SEVERE);
    HazelcastClusterManager manager = new HazelcastClusterManager(hazelcastConfig(settings));
    VertxOptions options = new VertxOptions().setEventLoopPoolSize(1)
        .setEventBusOptions(new EventBusOptions().setHost(settings.clusterHost()).setPort(0));
    return Vertx.builder().with(options).withClusterManager(manager).buildClustered()
        .compose(vertx -> vertx.deployVerticle(new QuoteVerticle(settings.botName()))
            .onSuccess(id -> LOG.info("quote-service joined cluster '" + settings.clusterName() + "' as a lite member ("
                + String.join(",", settings.members()) + "): answering " + QuoteVerticle.QUOTE_ADDRESS + ", consuming "
                + QuoteVerticle.SUPPORT_ADDRESS))
            .map(id -> vertx));
  }

  /** The nodes' cluster.xml (packaged here too, or {@code --cluster-config}), as a lite member. */
  static Config hazelcastConfig(ServiceSettings settings) {
    Config config;
    try (InputStream in = settings.clusterConfig() == null
        ? QuoteService.class.getClassLoader().getResourceAsStream("cluster.xml")
        : new FileInputStream(settings.clusterConfig())) {
      if (in == null) throw new IOException("cluster.xml is not on the class path");
      config = new XmlConfigBuilder(in).build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    config.setClusterName(settings.clusterName());
    // A lite member owns no partitions: the history's entry processors never run here, and coming and going
    // moves none of the cluster's data.
    config.setLiteMember(true);
    config.getNetworkConfig().setPort(settings.clusterPort());
    config.getNetworkConfig().getInterfaces().setEnabled(true).setInterfaces(java.util.List.of(settings.clusterHost()));
    config.setProperty("hazelcast.local.localAddress", settings.clusterHost());
    if (config.getNetworkConfig().getJoin().getTcpIpConfig().isEnabled()) {
      config.getNetworkConfig().getJoin().getTcpIpConfig().setMembers(settings.members());
    }
    return config;
  }
}
