package io.livegate.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LeaderLeaseTest {
  private static final long T = 1_000_000;

  private static ScoreEvent event(String id, long version) {
    return new ScoreEvent(id, "A vs B", new ScoreEvent.Score((int) version, 0), version, "2026-12-02T00:00:00Z", "n");
  }

  @Test
  void aLiveLeaseKeepsOthersOutUntilItLapsesForTheTakeoverTime() {
    LeaderLease lease = new LeaderLease();
    assertEquals(1, lease.acquire("a", T));
    assertEquals(-1, lease.acquire("b", T + LeaderLease.TAKEOVER_AFTER_MS), "live, by a millisecond");
    assertEquals(-1, lease.acquire("a", T + 10), "not even its holder takes it again while it is live: it renews");
    assertEquals(2, lease.acquire("b", T + LeaderLease.TAKEOVER_AFTER_MS + 1));
    assertEquals("b", lease.holder());
  }

  @Test
  void changesAndRenewalsComeOnlyFromTheHolderInItsTermWithinTheLease() {
    LeaderLease lease = new LeaderLease();
    long term = lease.acquire("a", T);
    assertEquals(LeaderLease.Outcome.TAKEN, lease.change("a", term, T + 100, event("E", 1)));
    assertEquals(LeaderLease.Outcome.NOT_LEADER, lease.change("b", term, T + 100, event("E", 2)), "not the holder");
    assertEquals(LeaderLease.Outcome.NOT_LEADER, lease.change("a", term + 1, T + 100, event("E", 2)), "another term");
    assertEquals(LeaderLease.Outcome.BEHIND, lease.change("a", term, T + 100, event("E", 1)), "a version already stored");
    assertTrue(lease.renew("a", term, T + LeaderLease.LEASE_MS));
    assertEquals(LeaderLease.Outcome.TAKEN, lease.change("a", term, T + 2 * LeaderLease.LEASE_MS, event("E", 2)),
        "renewed: valid from there");
    assertEquals(2, lease.events().get("E").version());
  }

  @Test
  void aHolderPausedPastItsLeaseIsRefusedEvenOnItsOwnStaleCopy() {
    // What a node that hung sees on resuming: its copy still names it the holder, but the time has moved on.
    LeaderLease stale = new LeaderLease();
    long term = stale.acquire("a", T);
    long resumed = T + 12_000;
    assertEquals(LeaderLease.Outcome.NOT_LEADER, stale.change("a", term, resumed, event("E", 1)), "no change after the pause");
    assertFalse(stale.renew("a", term, resumed), "a lapsed lease is not revived");
    assertTrue(stale.events().isEmpty());
  }

  @Test
  void aReleasedLeadIsTakenAtOnceAndTheOldTermIsRefused() {
    LeaderLease lease = new LeaderLease();
    long first = lease.acquire("a", T);
    lease.release("b", first);
    assertEquals(-1, lease.acquire("b", T + 1), "only its holder releases it");
    lease.release("a", first);
    long second = lease.acquire("b", T + 1);
    assertEquals(first + 1, second);
    assertEquals(LeaderLease.Outcome.NOT_LEADER, lease.change("a", first, T + 2, event("E", 1)));
    assertFalse(lease.renew("a", first, T + 2));
  }

  @Test
  void twoSidesOfASplitMergeToTheHigherVersionOfEachEventAndTheHigherTerm() {
    LeaderLease left = new LeaderLease();
    long leftTerm = left.acquire("a", T);
    left.change("a", leftTerm, T + 1, event("E", 7));
    left.change("a", leftTerm, T + 1, event("F", 2));
    LeaderLease right = new LeaderLease();
    right.acquire("x", T);
    long rightTerm = right.acquire("b", T + LeaderLease.TAKEOVER_AFTER_MS + 1);
    right.change("b", rightTerm, T + LeaderLease.TAKEOVER_AFTER_MS + 2, event("E", 5));
    right.change("b", rightTerm, T + LeaderLease.TAKEOVER_AFTER_MS + 2, event("F", 9));

    LeaderLease merged = LeaderLease.merge(left, right);
    assertEquals(7, merged.events().get("E").version());
    assertEquals(9, merged.events().get("F").version());
    assertEquals(rightTerm, merged.term());
    assertEquals("b", merged.holder());
    assertEquals(LeaderLease.Outcome.NOT_LEADER, merged.change("a", leftTerm, T + LeaderLease.TAKEOVER_AFTER_MS + 3,
        event("E", 8)), "the lower term");
    assertEquals(LeaderLease.Outcome.TAKEN,
        merged.change("b", rightTerm, T + LeaderLease.TAKEOVER_AFTER_MS + 3, event("E", 8)));
    assertEquals(right.term(), LeaderLease.merge(null, right).term());
  }
}
