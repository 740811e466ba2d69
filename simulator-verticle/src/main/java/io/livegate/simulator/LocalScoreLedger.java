package io.livegate.simulator;

import io.livegate.core.LeaderLease;
import io.livegate.core.ScoreEvent;
import io.livegate.core.ScoreLedger;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.core.shareddata.Shareable;

/**
 * A ledger in this process only, shared by the simulators of one Vert.x: for a node without a cluster (and tests).
 * The same rules as the cluster's ({@link LeaderLease}).
 */
final class LocalScoreLedger implements ScoreLedger, Shareable {
  private static final String NAME = "livegate.simulator.ledger";
  private final LeaderLease lease = new LeaderLease();

  static ScoreLedger of(Vertx vertx) {
    LocalMap<String, LocalScoreLedger> ledgers = vertx.sharedData().getLocalMap(NAME);
    return ledgers.computeIfAbsent(NAME, name -> new LocalScoreLedger());
  }

  @Override
  public synchronized Future<Lead> acquire(String holder) {
    long sent = System.nanoTime();
    long term = lease.acquire(holder, System.currentTimeMillis());
    if (term < 0) return Future.failedFuture(new NotLeader("led by " + lease.holder()));
    return Future.succeededFuture(new Lead(holder, term, lease.events(), 0).renewedFrom(sent));
  }

  @Override
  public synchronized Future<Lead> renew(Lead lead) {
    long sent = System.nanoTime();
    if (!lease.renew(lead.holder(), lead.term(), System.currentTimeMillis())) return Future.failedFuture(new NotLeader("lease lost"));
    return Future.succeededFuture(lead.renewedFrom(sent));
  }

  @Override
  public synchronized Future<ScoreEvent> change(Lead lead, ScoreEvent next) {
    return switch (lease.change(lead.holder(), lead.term(), System.currentTimeMillis(), next)) {
      case TAKEN -> Future.succeededFuture();
      case BEHIND -> Future.succeededFuture(lease.event(next.id()));
      case NOT_LEADER -> Future.failedFuture(new NotLeader("change refused"));
    };
  }

  @Override
  public synchronized Future<Void> release(Lead lead) {
    lease.release(lead.holder(), lead.term());
    return Future.succeededFuture();
  }
}
