package io.livegate.bridge;

import io.livegate.core.Presence;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The bridge's meters: open connections, accepted frames by type, frames written by type (once per socket
 * a frame goes to), refused frames by reason, connections closed by cause (and, as before, those dropped for not
 * reading and those closed for their rate on meters of their own).
 */
final class BridgeMetrics {
  static final String CONNECTIONS = "livegate.bridge.connections";
  static final String FRAMES_IN = "livegate.bridge.frames.in";
  static final String FRAMES_OUT = "livegate.bridge.frames.out";
  static final String FRAMES_REFUSED = "livegate.bridge.frames.refused";
  static final String SLOW_CONSUMERS = "livegate.bridge.slow.consumers.dropped";
  static final String CONNECTIONS_REFUSED = "livegate.bridge.connections.refused";
  static final String REFUSED_FULL = "max_connections";
  static final String REFUSED_ORIGIN = "origin";
  static final String CLOSED_FOR_RATE = "livegate.bridge.connections.closed.rate";
  static final String ADDRESSES = "livegate.bridge.addresses";
  static final String CLUSTER_CHANGES_WAITING = "livegate.bridge.cluster.changes.waiting";
  static final String CLUSTER_CHANGES = "livegate.bridge.cluster.changes";
  static final String CLUSTER_CHANGES_CANCELLED = "livegate.bridge.cluster.changes.cancelled";
  static final String CLUSTER_REGISTER = "register";
  static final String CLUSTER_UNREGISTER = "unregister";
  static final String CONNECTIONS_CLOSED = "livegate.bridge.connections.closed";
  static final String RECOVERIES = "livegate.history.recoveries";
  static final String REPLAYED = "livegate.history.replayed";
  static final String GAPS = "livegate.history.gaps";
  static final String FILLED = "livegate.history.filled";
  static final String PRESENCE_JOINS = "livegate.presence.joins";
  static final String PRESENCE_LEAVES = "livegate.presence.leaves";
  static final String PRESENCE_QUERIES = "livegate.presence.queries";
  static final String PRESENCE_ENTRIES = "livegate.presence.entries";
  static final String RECOVERY_RECOVERED = "recovered";
  static final String RECOVERY_NOT_RECOVERED = "not_recovered";
  static final String RECOVERY_INVALID = "invalid";

  private final AtomicInteger connections = new AtomicInteger();
  private final Map<FrameType, Counter> framesIn = new EnumMap<>(FrameType.class);
  private final Map<FrameType, Counter> framesOut = new EnumMap<>(FrameType.class);
  private final Map<String, Counter> refused = new HashMap<>();
  private final Counter slowConsumers;
  private final Map<String, Counter> connectionsRefused = new HashMap<>();
  private final Counter closedForRate;
  private final AtomicInteger addresses = new AtomicInteger();
  private final AtomicInteger clusterChangesWaiting = new AtomicInteger();
  private final Map<String, Timer> clusterChanges = new HashMap<>();
  private final Counter clusterChangesCancelled;
  private final Map<String, Counter> closedByCause = new HashMap<>();
  private final Map<String, Counter> recoveries = new HashMap<>();
  private final Counter replayed;
  private final Counter gaps;
  private final Counter filled;
  private final MeterRegistry registry;
  private final Counter presenceJoins;
  private final Counter presenceLeaves;
  private final Counter presenceQueries;

  BridgeMetrics(MeterRegistry registry) {
    this.registry = registry;
    presenceJoins = Counter.builder(PRESENCE_JOINS)
        .description("entries this node's browsers made present on an address that keeps presence").register(registry);
    presenceLeaves = Counter.builder(PRESENCE_LEAVES)
        .description("entries of this node's browsers that left (unregistered or closed)").register(registry);
    presenceQueries = Counter.builder(PRESENCE_QUERIES)
        .description("presence lists this node's bridge answered (a send to presence.<address>)").register(registry);
    Gauge.builder(CONNECTIONS, connections, AtomicInteger::get)
        .description("Open browser connections on this node's bridge")
        .register(registry);
    for (FrameType type : FrameType.values()) {
      Map<FrameType, Counter> byType = type.fromClient() ? framesIn : framesOut;
      byType.put(type, registry.counter(type.fromClient() ? FRAMES_IN : FRAMES_OUT, "type", type.wire()));
    }
    for (String reason : BridgeErrors.ALL) {
      refused.put(reason, registry.counter(FRAMES_REFUSED, "reason", reason));
    }
    for (String outcome : List.of(RECOVERY_RECOVERED, RECOVERY_NOT_RECOVERED, RECOVERY_INVALID)) {
      recoveries.put(outcome, Counter.builder(RECOVERIES).tag("outcome", outcome)
          .description("registers with since on this node, by outcome: recovered (replayed from the history), "
              + "not_recovered (told so: the history no longer had it), invalid (refused: invalid_since, no_history)")
          .register(registry));
    }
    replayed = Counter.builder(REPLAYED).description("publications this node sent again from the history on a recovery")
        .register(registry);
    gaps = Counter.builder(GAPS)
        .description("holes in an address's offsets this node could not fill from the history (skipped)")
        .register(registry);
    filled = Counter.builder(FILLED)
        .description("publications this node read from the history because they had not come live in turn")
        .register(registry);
    slowConsumers = Counter.builder(SLOW_CONSUMERS)
        .description("Browser connections dropped because they did not read what was sent to them")
        .register(registry);
    List<String> reasons = new java.util.ArrayList<>(List.of(REFUSED_FULL, REFUSED_ORIGIN));
    reasons.addAll(BridgeErrors.CONNECTION_REFUSALS);
    for (String reason : reasons) {
      connectionsRefused.put(reason, Counter.builder(CONNECTIONS_REFUSED).tag("reason", reason)
          .description("Browser connections refused or ended: the node was full, the page's origin, the token")
          .register(registry));
    }
    closedForRate = Counter.builder(CLOSED_FOR_RATE)
        .description("Browser connections closed because they went on sending beyond --max-frames-per-second")
        .register(registry);
    Gauge.builder(ADDRESSES, addresses, AtomicInteger::get)
        .description("Distinct addresses this node's browsers are registered on (an entry each in the cluster's "
            + "subscriptions), with those being added or removed; at most --max-addresses")
        .register(registry);
    Gauge.builder(CLUSTER_CHANGES_WAITING, clusterChangesWaiting, AtomicInteger::get)
        .description("The bridge's registrations and removals waiting for their turn to reach the cluster")
        .register(registry);
    for (String op : List.of(CLUSTER_REGISTER, CLUSTER_UNREGISTER)) {
      clusterChanges.put(op, Timer.builder(CLUSTER_CHANGES).tag("op", op)
          .description("The bridge's changes to the cluster's subscriptions: from the browser's frame until the "
              + "cluster has it (register), or from its turn (unregister)")
          .register(registry));
    }
    clusterChangesCancelled = Counter.builder(CLUSTER_CHANGES_CANCELLED)
        .description("Registrations left before their turn came: they cost the cluster nothing")
        .register(registry);
    for (String cause : BridgeErrors.CLOSE_CAUSES) {
      closedByCause.put(cause, Counter.builder(CONNECTIONS_CLOSED).tag("cause", cause)
          .description("Browser connections the bridge closed, by cause: a limit (--max-queued-bytes, "
              + "--max-frames-per-second) or a breach of the WebSocket protocol")
          .register(registry));
    }
  }

  int connections() {
    return connections.get();
  }

  void opened() {
    connections.incrementAndGet();
  }

  void closed() {
    connections.decrementAndGet();
  }

  void accepted(FrameType type) {
    framesIn.get(type).increment();
  }

  /** One frame written to one socket. */
  /** The presence entries: this node's browsers' own ({@code whose="own"}), and all its copy holds ({@code "held"}). */
  void presence(Presence presence) {
    Gauge.builder(PRESENCE_ENTRIES, presence, Presence::ownEntries).tag("whose", "own")
        .description("presence entries of this node's browsers (bounded by --max-presence-entries)").register(registry);
    Gauge.builder(PRESENCE_ENTRIES, presence, Presence::heldEntries).tag("whose", "held")
        .description("presence entries of every node in this node's copy").register(registry);
  }

  void presenceJoined() {
    presenceJoins.increment();
  }

  void presenceLeft() {
    presenceLeaves.increment();
  }

  void presenceQueried() {
    presenceQueries.increment();
  }

  void recovery(String outcome) {
    recoveries.get(outcome).increment();
  }

  void replayed(int publications) {
    replayed.increment(publications);
  }

  void historyGap() {
    gaps.increment();
  }

  void historyFilled() {
    filled.increment();
  }

  void sent(FrameType type, int frames) {
    if (frames > 0) framesOut.get(type).increment(frames);
  }

  void refused(String reason) {
    refused.get(reason).increment();
  }

  void connectionRefused(String reason) {
    connectionsRefused.get(reason).increment();
  }

  /** One connection closed by the bridge, for one of {@link BridgeErrors#CLOSE_CAUSES}. */
  void closedFor(String cause) {
    closedByCause.get(cause).increment();
    if (BridgeErrors.CLOSED_FRAME_RATE.equals(cause)) closedForRate.increment();
    if (BridgeErrors.CLOSED_MAX_QUEUED_BYTES.equals(cause)) slowConsumers.increment();
  }

  void subscriptionState(int addressesHeld, int changesWaiting) {
    addresses.set(addressesHeld);
    clusterChangesWaiting.set(changesWaiting);
  }

  void clusterChangeDone(String op, long nanos) {
    clusterChanges.get(op).record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
  }

  void clusterChangeCancelled() {
    clusterChangesCancelled.increment();
  }
}
