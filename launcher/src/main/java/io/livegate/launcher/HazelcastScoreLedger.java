package io.livegate.launcher;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.spi.merge.MergingValue;
import com.hazelcast.spi.merge.SplitBrainMergePolicy;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionException;
import io.livegate.core.LeaderLease;
import io.livegate.core.ScoreEvent;
import io.livegate.core.ScoreLedger;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.Serial;
import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The simulator's ledger in the cluster: one entry ({@link #KEY}) of the map {@link #MAP}, a {@link LeaderLease} with a
 * synchronous backup, changed only by entry processors, so each step is atomic on the entry's owner and its backup
 * repeats it with the same time. After a split, the sides' entries merge with {@link Merge}; on the side that lacks the
 * cluster's minimum size, Hazelcast's split-brain protection refuses every step (see {@link HazelcastSetup}).
 */
final class HazelcastScoreLedger implements ScoreLedger {
  static final String MAP = "livegate.simulator";
  static final String KEY = "lease";
  /** A step not answered within this is taken as failed (the lead then lapses by itself). */
  private static final long STEP_TIMEOUT_MS = 2000;

  private final Vertx vertx;
  private final IMap<String, LeaderLease> map;

  HazelcastScoreLedger(Vertx vertx, HazelcastInstance hazelcast) {
    this.vertx = vertx;
    this.map = hazelcast.getMap(MAP);
  }

  @Override
  public Future<Lead> acquire(String holder) {
    long sent = System.nanoTime();
    return step(new Acquire(holder, System.currentTimeMillis())).compose(taken -> taken.term < 0
        ? Future.failedFuture(new NotLeader("led by another node"))
        : Future.succeededFuture(new Lead(holder, taken.term, taken.scoreEvents(), 0).renewedFrom(sent)));
  }

  @Override
  public Future<Lead> renew(Lead lead) {
    long sent = System.nanoTime();
    return step(new Renew(lead.holder(), lead.term(), System.currentTimeMillis())).compose(renewed -> renewed
        ? Future.succeededFuture(lead.renewedFrom(sent)) : Future.failedFuture(new NotLeader("lease lost")));
  }

  @Override
  public Future<ScoreEvent> change(Lead lead, ScoreEvent next) {
    return step(new Change(lead.holder(), lead.term(), System.currentTimeMillis(), next.toJson().encode()))
        .compose(answer -> switch (answer.charAt(0)) {
          case Change.TAKEN -> Future.succeededFuture();
          case Change.BEHIND -> Future.succeededFuture(ScoreEvent.fromJson(new JsonObject(answer.substring(1))));
          default -> Future.failedFuture(new NotLeader("change refused"));
        });
  }

  @Override
  public Future<Void> release(Lead lead) {
    return step(new Release(lead.holder(), lead.term())).mapEmpty();
  }

  private <R> Future<R> step(EntryProcessor<String, LeaderLease, R> processor) {
    return HazelcastAnswers.on(vertx.getOrCreateContext(), map.submitToKey(KEY, processor))
        .timeout(STEP_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        // The minority side of a split: no lead there, whoever asks.
        .recover(e -> e instanceof SplitBrainProtectionException
            ? Future.failedFuture(new NotLeader("this side of the cluster lacks its minimum size"))
            : Future.failedFuture(e));
  }

  /** What {@link Acquire} answers: the new term (-1: refused) and the events stored. */
  record Taken(long term, HashMap<String, String> events) implements Serializable {
    Map<String, ScoreEvent> scoreEvents() {
      return LeaderLease.parse(events);
    }
  }


  /** One step on the ledger's entry, with the holder, term and caller's time it is asked with. */
  private abstract static class Step<R> implements EntryProcessor<String, LeaderLease, R> {
    @Serial private static final long serialVersionUID = 1L;
    final String holder;
    final long term;
    final long now;

    Step(String holder, long term, long now) {
      this.holder = holder;
      this.term = term;
      this.now = now;
    }

    @Override
    public final R process(Map.Entry<String, LeaderLease> entry) {
      LeaderLease lease = entry.getValue() == null ? new LeaderLease() : entry.getValue();
      R answer = apply(lease);
      entry.setValue(lease);
      return answer;
    }

    abstract R apply(LeaderLease lease);
  }

  static final class Acquire extends Step<Taken> {
    @Serial private static final long serialVersionUID = 1L;

    Acquire(String holder, long now) {
      super(holder, 0, now);
    }

    @Override
    Taken apply(LeaderLease lease) {
      long taken = lease.acquire(holder, now);
      return new Taken(taken, taken < 0 ? new HashMap<>() : lease.eventsJson());
    }
  }

  static final class Renew extends Step<Boolean> {
    @Serial private static final long serialVersionUID = 1L;

    Renew(String holder, long term, long now) {
      super(holder, term, now);
    }

    @Override
    Boolean apply(LeaderLease lease) {
      return lease.renew(holder, term, now);
    }
  }

  /** Answers {@code T} (taken), {@code N} (not the leader), or {@code B} and the stored event's JSON (behind). */
  static final class Change extends Step<String> {
    @Serial private static final long serialVersionUID = 1L;
    static final char TAKEN = 'T';
    static final char NOT_LEADER = 'N';
    static final char BEHIND = 'B';
    private final String event;

    Change(String holder, long term, long now, String event) {
      super(holder, term, now);
      this.event = event;
    }

    @Override
    String apply(LeaderLease lease) {
      ScoreEvent next = ScoreEvent.fromJson(new JsonObject(event));
      return switch (lease.change(holder, term, now, next)) {
        case TAKEN -> String.valueOf(TAKEN);
        case NOT_LEADER -> String.valueOf(NOT_LEADER);
        case BEHIND -> BEHIND + lease.eventJson(next.id());
      };
    }
  }

  static final class Release extends Step<Boolean> {
    @Serial private static final long serialVersionUID = 1L;

    Release(String holder, long term) {
      super(holder, term, 0);
    }

    @Override
    Boolean apply(LeaderLease lease) {
      lease.release(holder, term);
      return true;
    }
  }

  /**
   * The merge of the ledger's entry after a split healed ({@link LeaderLease#merge}): every event at the higher version
   * either side stored, so the simulator continues above whatever any side published.
   */
  public static final class Merge implements SplitBrainMergePolicy<LeaderLease, MergingValue<LeaderLease>, Object> {
    @Override
    public Object merge(MergingValue<LeaderLease> merging, MergingValue<LeaderLease> existing) {
      return LeaderLease.merge(existing == null ? null : existing.getValue(), merging == null ? null : merging.getValue());
    }

    @Override
    public void writeData(ObjectDataOutput out) {}

    @Override
    public void readData(ObjectDataInput in) {}
  }
}
