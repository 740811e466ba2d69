package io.livegate.launcher;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
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
  private final String localId;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private final java.util.UUID registration;

  HazelcastClusterView(HazelcastInstance hazelcast, String localId) {
    this.hazelcast = hazelcast;
    this.localId = localId;
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
    if (hazelcast.getLifecycleService().isRunning()) hazelcast.getCluster().removeMembershipListener(registration);
  }

  private void membershipChanged(String what, MembershipEvent event) {
    NodeInfo node = toNodeInfo(event.getMember());
    LOG.info("node " + node.id() + " (" + rolesOf(node) + ", " + node.name() + ") " + what
        + "; " + describeMembers());
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
