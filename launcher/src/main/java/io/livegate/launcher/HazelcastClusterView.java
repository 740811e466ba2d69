package io.livegate.launcher;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import io.livegate.core.ClusterView;
import io.livegate.core.NodeInfo;
import io.livegate.core.Role;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * The cluster as Hazelcast's membership shows it: members in join order (the same on every
 * member), each with the roles and ports it declared as member attributes.
 */
final class HazelcastClusterView implements ClusterView {
  private static final Logger LOG = Logger.getLogger(HazelcastClusterView.class.getName());

  private final HazelcastInstance hazelcast;
  private final int minClusterSize;
  private volatile String localId;
  private volatile boolean inMajority = true;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private final java.util.UUID registration;
  private final java.util.UUID lifecycleRegistration;

  /** @param minClusterSize the fewest members this node must see to be on the majority side (1: always) */
  HazelcastClusterView(HazelcastInstance hazelcast, int minClusterSize) {
    this.hazelcast = hazelcast;
    this.minClusterSize = minClusterSize;
    this.localId = hazelcast.getCluster().getLocalMember().getUuid().toString();
    // After a split heals, Hazelcast gives the merging side's members new ids: the view follows.
    this.lifecycleRegistration = hazelcast.getLifecycleService().addLifecycleListener(event -> {
      if (event.getState() == LifecycleEvent.LifecycleState.MERGED) merged();
    });
    // Not clusterManager.nodeListener(...): that single slot belongs to Vert.x's HA manager.
    this.registration = hazelcast.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
        membershipChanged("joined", event);
        warnIfForeignDataMember(event.getMember());
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        membershipChanged("left", event);
      }
    });
    hazelcast.getCluster().getMembers().forEach(this::warnIfForeignDataMember);
    int seen = members().size();
    inMajority = seen >= minClusterSize;
    if (!inMajority) {
      LOG.info("this node sees " + seen + " of the cluster's minimum " + minClusterSize + " members (--min-cluster-size): "
          + "it serves once they have joined");
    }
  }

  /**
   * A member that is not a livegate node (no roles) and not a lite member holds a share of the cluster's data, the
   * history ({@code livegate.history}) included, whose entry processors need livegate's classes there: its share of
   * the history cannot be kept. Backend services join as lite members (README, "History and recovery").
   */
  static boolean isForeignDataMember(Member member) {
    return !member.isLiteMember() && member.getAttribute(HazelcastSetup.ATTR_ROLES) == null;
  }

  private void warnIfForeignDataMember(Member member) {
    if (!isForeignDataMember(member)) return;
    LOG.warning("member " + member.getUuid() + " (" + member.getAddress().getHost() + ") is not a livegate node and "
        + "joined as a data member: it holds part of the cluster's data, the history included, which it cannot keep "
        + "without livegate's classes; start backend services as Hazelcast lite members (config.setLiteMember(true))");
  }

  @Override
  public String localNodeId() {
    return localId;
  }

  @Override
  public boolean inMajority() {
    return inMajority;
  }

  private void merged() {
    if (!refreshLocalId()) LOG.info("merged back into the cluster after a split; " + describeMembers());
    updateMajority();
    listeners.forEach(Runnable::run);
  }

  /**
   * Takes the id Hazelcast now gives this member: it resets it when this node's side of a split merges into the other
   * (before the first membership event of the merged cluster, and before {@code MERGED}). Whether it changed.
   */
  private synchronized boolean refreshLocalId() {
    if (!hazelcast.getLifecycleService().isRunning()) return false;
    String now = hazelcast.getCluster().getLocalMember().getUuid().toString();
    if (now.equals(localId)) return false;
    String before = localId;
    localId = now;
    NodeLog.nodeJoined(now);
    LOG.info("merged back into the cluster after a split: this node is now " + now + " (was " + before + ")");
    return true;
  }

  /** Recounts the members against the minimum size; logs a change of side. */
  private void updateMajority() {
    int seen = members().size();
    boolean now = seen >= minClusterSize;
    if (now == inMajority) return;
    inMajority = now;
    if (now) {
      LOG.info("this node sees " + seen + " members again (--min-cluster-size " + minClusterSize + "): it serves again");
    } else {
      LOG.warning("this node sees only " + seen + " of the cluster's minimum " + minClusterSize + " members "
          + "(--min-cluster-size): it is on the minority side of a split and stops serving until the sides merge");
    }
  }

  @Override
  public List<NodeInfo> members() {
    if (!hazelcast.getLifecycleService().isRunning()) return List.of();
    return hazelcast.getCluster().getMembers().stream().map(HazelcastClusterView::toNodeInfo).toList();
  }

  @Override
  public Runnable onChange(Runnable listener) {
    Context context = Vertx.currentContext();
    Runnable onContext = context == null ? listener : () -> context.runOnContext(v -> listener.run());
    listeners.add(onContext);
    return () -> listeners.remove(onContext);
  }

  void close() {
    listeners.clear();
    if (hazelcast.getLifecycleService().isRunning()) {
      hazelcast.getCluster().removeMembershipListener(registration);
      hazelcast.getLifecycleService().removeLifecycleListener(lifecycleRegistration);
    }
  }

  private void membershipChanged(String what, MembershipEvent event) {
    refreshLocalId();
    NodeInfo node = toNodeInfo(event.getMember());
    LOG.info("node " + node.id() + " (" + rolesOf(node) + ", " + node.name() + ") " + what
        + "; " + describeMembers());
    updateMajority();
    listeners.forEach(Runnable::run);
  }

  /** The members for a log line: {@code members (2): id@host [roles], ...}. */
  String describeMembers() {
    List<NodeInfo> members = members();
    return "members (" + members.size() + "): " + members.stream()
        .map(m -> m.id() + "@" + m.name() + " [" + rolesOf(m) + "]")
        .collect(Collectors.joining(", "));
  }

  /** A member of a release without the management port and name attributes gets those it would have had. */
  private static String rolesOf(NodeInfo node) {
    return node.roles().isEmpty() ? "no roles: not a livegate node" : Role.format(node.roles());
  }

  private static NodeInfo toNodeInfo(Member member) {
    String roles = member.getAttribute(HazelcastSetup.ATTR_ROLES);
    Set<Role> parsed = roles == null || roles.isEmpty() ? Set.of() : Role.parseList(roles);
    String host = member.getAddress().getHost();
    int bridgePort = parsed.contains(Role.BRIDGE) ? intAttribute(member, HazelcastSetup.ATTR_BRIDGE_PORT) : 0;
    int apiPort = parsed.contains(Role.REST) || parsed.isEmpty() ? intAttribute(member, HazelcastSetup.ATTR_API_PORT) : 0;
    int managementPort = member.getAttribute(HazelcastSetup.ATTR_MANAGEMENT_PORT) == null
        ? (apiPort > 0 ? apiPort : bridgePort)
        : intAttribute(member, HazelcastSetup.ATTR_MANAGEMENT_PORT);
    String name = member.getAttribute(HazelcastSetup.ATTR_NAME);
    if (name == null) {
      // A backend service (no roles) is named by its cluster address: it has no HTTP port of ours.
      name = parsed.isEmpty() ? "service " + host + ":" + member.getAddress().getPort()
          : host + ":" + (bridgePort > 0 ? bridgePort : managementPort);
    }
    return new NodeInfo(member.getUuid().toString(), host, bridgePort, apiPort, managementPort, parsed,
        longAttribute(member, HazelcastSetup.ATTR_STARTED_AT), name);
  }

  private static long longAttribute(Member member, String name) {
    String value = member.getAttribute(name);
    try {
      return value == null ? 0 : Long.parseLong(value);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static int intAttribute(Member member, String name) {
    return (int) Math.min(Integer.MAX_VALUE, longAttribute(member, name));
  }
}
