package io.livegate.core;

import io.vertx.core.json.JsonObject;
import java.io.Serial;
import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;

/**
 * The value behind a {@link ScoreLedger}: who leads (holder and term) since when, and the newest version of each event.
 * Only its methods change it, each in one atomic step (in the cluster, an entry processor on the entry's owner), with
 * the time the caller read before it sent the request: a caller that was paused carries a time after the pause.
 *
 * <ul>
 *   <li>A change is taken only from the holder, with its term, within {@link #LEASE_MS} of its last renewal, and only
 *       if its version is above the stored one. A simulator that hung longer than the lease is refused even where its
 *       own stale copy of the cluster's data still names it.
 *   <li>A renewal is taken on the same terms, so a lapsed lease is never revived: its holder stands down.
 *   <li>Another node takes the lead once the lease has lapsed for {@link #TAKEOVER_AFTER_MS} (a second more than the
 *       lease: clocks of two hosts may differ by that much), or at once once released. Each lead has a new term.
 * </ul>
 * A change whose version is not above the stored one, from the holder, is {@link Outcome#BEHIND}: the holder missed
 * the answer to an earlier change (a timeout) and goes on from the stored version.
 * The holder itself stops changing anything {@link #LOCAL_VALIDITY_MS} after it sent its last successful renewal, by
 * its own monotonic clock, and checks so again right before it publishes.
 */
public final class LeaderLease implements Serializable {
  @Serial private static final long serialVersionUID = 1L;
  /** How long a renewal lets its holder change events (by the callers' clocks). */
  public static final long LEASE_MS = 4000;
  /** How long after its last renewal a lease may be taken over by another node. */
  public static final long TAKEOVER_AFTER_MS = LEASE_MS + 1000;
  /** How long after it sent a renewal the holder itself goes on changing events. */
  public static final long LOCAL_VALIDITY_MS = LEASE_MS - 500;

  /** What became of a change. */
  public enum Outcome {
    /** Stored: it may be published. */
    TAKEN,
    /** The lead is not the caller's (another holder or term, or lapsed): it must stand down. */
    NOT_LEADER,
    /** The caller leads, but the stored version is already this one or above (a change whose answer it missed). */
    BEHIND
  }
  /** How often the holder renews. */
  public static final long RENEW_EVERY_MS = 1000;

  private String holder;
  private long term;
  private long renewedAt;
  /** Event id to the JSON of its newest stored version (JDK types only: the value may cross the network). */
  private final HashMap<String, String> events = new HashMap<>();

  /** The new term, or -1 when another holder's lease is live. */
  public long acquire(String node, long now) {
    if (holder != null && now - renewedAt <= TAKEOVER_AFTER_MS) return -1;
    holder = node;
    term++;
    renewedAt = now;
    return term;
  }

  /** Whether the lease is still {@code node}'s, in {@code term}, and was renewed. */
  public boolean renew(String node, long term, long now) {
    if (!holds(node, term, now)) return false;
    renewedAt = now;
    return true;
  }

  /** Stores the change if the caller leads and the version is new (see the class comment). */
  public Outcome change(String node, long term, long now, ScoreEvent next) {
    if (!holds(node, term, now)) return Outcome.NOT_LEADER;
    ScoreEvent stored = event(next.id());
    if (stored != null && stored.version() >= next.version()) return Outcome.BEHIND;
    events.put(next.id(), next.toJson().encode());
    return Outcome.TAKEN;
  }

  /** Gives the lead up, if it is {@code node}'s in {@code term}. */
  public void release(String node, long term) {
    if (node.equals(holder) && this.term == term) holder = null;
  }

  /**
   * Two sides of a split cluster, merged: each event at the higher version either side stored, and the lease of the
   * higher term (a lead of the lower term is refused from now on).
   */
  public static LeaderLease merge(LeaderLease a, LeaderLease b) {
    if (a == null) return b;
    if (b == null) return a;
    LeaderLease newer = a.term >= b.term ? a : b;
    LeaderLease merged = new LeaderLease();
    merged.holder = newer.holder;
    merged.term = Math.max(a.term, b.term);
    merged.renewedAt = newer.renewedAt;
    for (LeaderLease side : new LeaderLease[] {a, b}) {
      side.events.forEach((id, json) -> {
        ScoreEvent known = merged.event(id);
        if (known == null || known.version() < ScoreEvent.fromJson(new JsonObject(json)).version()) merged.events.put(id, json);
      });
    }
    return merged;
  }

  public long term() {
    return term;
  }

  public String holder() {
    return holder;
  }

  /** The newest stored version of each event. */
  public Map<String, ScoreEvent> events() {
    return parse(events);
  }

  /** The same as JSON, event id to event, as stored (a copy: JDK types only, to send). */
  public HashMap<String, String> eventsJson() {
    return new HashMap<>(events);
  }

  /** Events from their JSON, as {@link #eventsJson()} gives them. */
  public static Map<String, ScoreEvent> parse(Map<String, String> json) {
    Map<String, ScoreEvent> all = new HashMap<>();
    json.forEach((id, event) -> all.put(id, ScoreEvent.fromJson(new JsonObject(event))));
    return all;
  }

  /** The JSON of an event's newest stored version, or null. */
  public String eventJson(String id) {
    return events.get(id);
  }

  /** The newest stored version of an event, or null. */
  public ScoreEvent event(String id) {
    String json = events.get(id);
    return json == null ? null : ScoreEvent.fromJson(new JsonObject(json));
  }

  private boolean holds(String node, long term, long now) {
    return node.equals(holder) && this.term == term && now - renewedAt <= LEASE_MS;
  }
}
