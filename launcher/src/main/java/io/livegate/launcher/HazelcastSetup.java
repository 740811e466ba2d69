package io.livegate.launcher;

import com.hazelcast.config.Config;
import com.hazelcast.config.EvictionConfig;
import com.hazelcast.config.EvictionPolicy;
import com.hazelcast.config.InMemoryFormat;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MaxSizePolicy;
import com.hazelcast.config.InvalidConfigurationException;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.config.SplitBrainProtectionConfig;
import com.hazelcast.config.XmlConfigBuilder;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionOn;
import io.livegate.core.Addresses;
import io.livegate.core.NodeConfig;
import io.livegate.core.NodeSettings;
import io.livegate.core.Role;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * Builds the Hazelcast configuration of a node: the packaged {@code cluster.xml} (or the file
 * named by {@code --cluster-config}), then the node's own settings on top.
 */
final class HazelcastSetup {
  static final String ATTR_ROLES = "livegate.roles";
  static final String ATTR_BRIDGE_PORT = "livegate.bridgePort";
  static final String ATTR_API_PORT = "livegate.apiPort";
  static final String ATTR_STARTED_AT = "livegate.startedAt";
  static final String ATTR_MANAGEMENT_PORT = "livegate.managementPort";
  static final String ATTR_NAME = "livegate.name";
  static final String PACKAGED = "cluster.xml";

  private HazelcastSetup() {}

  /** Where the configuration came from, for the start-up log. */
  static String source(NodeConfig node) {
    return node.clusterConfig() == null ? "cluster.xml (packaged)" : node.clusterConfig();
  }

  static Config build(NodeConfig node, long startedAt) {
    Config config = load(node.clusterConfig());
    config.setClusterName(node.clusterName());
    NetworkConfig network = config.getNetworkConfig();
    network.setPort(node.clusterPort());
    // The cluster host is what this node binds and what it advertises to the others.
    network.getInterfaces().setEnabled(true).setInterfaces(List.of(node.clusterHost()));
    config.setProperty("hazelcast.local.localAddress", node.clusterHost());
    JoinConfig join = network.getJoin();
    if (join.getTcpIpConfig().isEnabled()) {
      join.getTcpIpConfig().setMembers(node.members());
    }
    // Only the ports this node listens on: a port of a role it does not run is 0 (null in /api/cluster/nodes).
    config.getMemberAttributeConfig()
        .setAttribute(ATTR_ROLES, Role.format(node.roles()))
        .setAttribute(ATTR_BRIDGE_PORT, String.valueOf(node.has(Role.BRIDGE) ? node.bridgePort() : 0))
        .setAttribute(ATTR_API_PORT, String.valueOf(node.has(Role.REST) ? node.apiPort() : 0))
        .setAttribute(ATTR_MANAGEMENT_PORT, String.valueOf(node.managementPort()))
        .setAttribute(ATTR_NAME, node.displayName())
        .setAttribute(ATTR_STARTED_AT, String.valueOf(startedAt));
    if (config.getMapConfigOrNull(Addresses.HISTORY_MAP) == null) config.addMapConfig(historyMap(node.history()));
    serialization(config);
    config.addMapConfig(simulatorMap(config, node.minClusterSize()));
    return config;
  }

  /** Registers the history's types in Hazelcast's own serialization ({@link HistorySerialization}). */
  static Config serialization(Config config) {
    config.getSerializationConfig().addDataSerializableFactory(HistorySerialization.FACTORY_ID, new HistorySerialization());
    return config;
  }

  /** Hazelcast's split-brain protection of the simulator's ledger: only with a minimum cluster size above 1. */
  static final String MAJORITY = "livegate-majority";

  /**
   * The simulator's ledger ({@link HazelcastScoreLedger}): one entry, one synchronous backup, merged after a split by
   * {@link HazelcastScoreLedger.Merge} (each event at its highest version), and, with a minimum cluster size, refused on
   * the side of a split that lacks it (Hazelcast's split-brain protection), so that side can take no lead.
   */
  static MapConfig simulatorMap(Config config, int minClusterSize) {
    MapConfig map = new MapConfig(HazelcastScoreLedger.MAP)
        .setInMemoryFormat(InMemoryFormat.OBJECT)
        .setBackupCount(1)
        .setReadBackupData(false);
    map.getMergePolicyConfig().setPolicy(HazelcastScoreLedger.Merge.class.getName());
    if (minClusterSize > 1) {
      config.addSplitBrainProtectionConfig(new SplitBrainProtectionConfig(MAJORITY, true, minClusterSize)
          .setProtectOn(SplitBrainProtectionOn.READ_WRITE));
      map.setSplitBrainProtectionName(MAJORITY);
    }
    return map;
  }

  /**
   * The history's map ({@link HazelcastHistory}), unless the cluster config names one of its own: one entry per
   * address, kept as objects (appending is an entry processor, so a copy per publication would cost the whole
   * history), one synchronous backup, at most {@code --history-max-addresses} primary entries per node (the least
   * used go first: a flood of new addresses evicts itself before a busy one), and an entry outlives its newest
   * publication by an hour, so a quiet address keeps its epoch and offset.
   */
  static MapConfig historyMap(NodeConfig.History history) {
    return new MapConfig(Addresses.HISTORY_MAP)
        .setInMemoryFormat(InMemoryFormat.OBJECT)
        .setBackupCount(1)
        .setReadBackupData(false)
        .setStatisticsEnabled(true)
        .setTimeToLiveSeconds((int) Math.min(Integer.MAX_VALUE, history.ttlMs() / 1000 + 3600))
        .setEvictionConfig(new EvictionConfig()
            .setEvictionPolicy(EvictionPolicy.LFU)
            .setMaxSizePolicy(MaxSizePolicy.PER_NODE)
            .setSize(history.maxAddresses()));
  }

  private static Config load(String file) {
    try (InputStream in = file == null ? packaged() : new FileInputStream(file)) {
      return new XmlConfigBuilder(in).build();
    } catch (IOException | InvalidConfigurationException e) {
      throw new NodeSettings.BadSetting("--cluster-config: cannot read " + (file == null ? PACKAGED : file) + ": "
          + e.getMessage());
    }
  }

  private static InputStream packaged() throws IOException {
    InputStream in = HazelcastSetup.class.getClassLoader().getResourceAsStream(PACKAGED);
    if (in == null) throw new IOException("not on the class path");
    return in;
  }
}
