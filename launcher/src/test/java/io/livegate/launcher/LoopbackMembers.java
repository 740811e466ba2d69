package io.livegate.launcher;

import static io.livegate.testing.FreePorts.freePort;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * Bare Hazelcast members in this JVM, in a cluster of their own on loopback and free ports (no node around them),
 * each shut down by {@link #close}.
 */
final class LoopbackMembers implements AutoCloseable {
  private final String cluster = "members-" + UUID.randomUUID();
  private final int[] ports;
  private final Consumer<Config> configure;
  private final List<HazelcastInstance> started = new ArrayList<>();

  /** Room for {@code size} members, each configured by {@code configure} (maps, serialization) before it starts. */
  LoopbackMembers(int size, Consumer<Config> configure) {
    ports = new int[size];
    for (int i = 0; i < size; i++) ports[i] = freePort();
    this.configure = configure;
  }

  /** Starts member {@code which} (0 to size - 1), which joins those started before it. */
  HazelcastInstance start(int which) {
    Config config = new Config().setClusterName(cluster);
    config.getNetworkConfig().setPort(ports[which]).setPortAutoIncrement(false);
    config.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
    config.getNetworkConfig().getJoin().getMulticastConfig().setEnabled(false);
    config.getNetworkConfig().getJoin().getAutoDetectionConfig().setEnabled(false);
    config.getNetworkConfig().getJoin().getTcpIpConfig().setEnabled(true);
    for (int port : ports) config.getNetworkConfig().getJoin().getTcpIpConfig().addMember("127.0.0.1:" + port);
    config.setProperty("hazelcast.local.localAddress", "127.0.0.1");
    configure.accept(config);
    HazelcastInstance member = Hazelcast.newHazelcastInstance(config);
    started.add(member);
    return member;
  }

  /** Stops {@code member} (gracefully: its partitions move to the others first). */
  void stop(HazelcastInstance member) {
    member.shutdown();
    started.remove(member);
  }

  @Override
  public void close() {
    started.forEach(HazelcastInstance::shutdown);
    started.clear();
  }
}
