package io.livegate.core;

import io.vertx.core.Future;
import java.util.Map;

/**
 * The cluster's record of the simulator's events and of the one node that may change them (a lease it renews). Every
 * change is a write conditional on holding the lease, made before the change is published: a simulator that lost the
 * lead (it hung past the failure detector, another node took over) is refused, even before it learns so, and publishes
 * nothing. See {@link LeaderLease} for the rules.
 */
public interface ScoreLedger {

  /**
   * Takes the lead for {@code holder} if no one holds a live lease. Fails with {@link NotLeader} when another holder's
   * lease is live (try again later).
   */
  Future<Lead> acquire(String holder);

  /** Renews the lease; fails with {@link NotLeader} when it is no longer this lead's (lapsed, or taken over). */
  Future<Lead> renew(Lead lead);

  /**
   * Stores the next version of an event: null when stored; the stored event when it is already at that version or
   * above (an earlier change was stored though its answer was lost: go on from there, publishing nothing); fails
   * with {@link NotLeader} when the lead is lost.
   */
  Future<ScoreEvent> change(Lead lead, ScoreEvent next);

  /** Gives the lead up, so that another node may take it at once (a node that leaves or stands down). */
  Future<Void> release(Lead lead);

  /**
   * A lead held: its holder and term (the fencing token), the events as they were stored when it was taken, and until
   * when, by this process's clock ({@link System#nanoTime()}), it may still change them.
   */
  record Lead(String holder, long term, Map<String, ScoreEvent> events, long validUntilNanos) {
    /** The same lead, valid for another {@link LeaderLease#LOCAL_VALIDITY_MS} from {@code sentAtNanos}. */
    public Lead renewedFrom(long sentAtNanos) {
      return new Lead(holder, term, events, sentAtNanos + LeaderLease.LOCAL_VALIDITY_MS * 1_000_000L);
    }

    /** Whether this lead may still change anything now, by this process's clock. */
    public boolean isValid() {
      return System.nanoTime() - validUntilNanos < 0;
    }
  }

  /** The ledger refused: this node does not hold the lead (or no longer). */
  final class NotLeader extends RuntimeException {
    public NotLeader(String message) {
      super(message, null, false, false);
    }
  }
}
