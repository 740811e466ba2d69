package io.livegate.launcher.ops;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What one address brought one client: the {@code seq} of each publication in the order it arrived, the recovery
 * markers and {@code err} frames, and the position (offset, epoch) to come back from, as the last frame gave it.
 */
final class DeliveryLog {
  /** Where a client is in an address's history: the {@code since} and {@code epoch} of its next registration. */
  record Position(String offset, String epoch) {}

  /** Per client and address, over a range of publications: missing, received more than once, received late. */
  record Counts(long lost, long duplicated, long outOfOrder) {
    static final Counts NONE = new Counts(0, 0, 0);

    Counts plus(Counts other) {
      return new Counts(lost + other.lost, duplicated + other.duplicated, outOfOrder + other.outOfOrder);
    }

    boolean clean() {
      return equals(NONE);
    }
  }

  private final List<Long> seqs = new ArrayList<>();
  private final List<String> errors = new ArrayList<>();
  private Position position;
  private int recovered;
  private int notRecovered;
  private long replayed;

  DeliveryLog(Position from) {
    this.position = from;
  }

  synchronized Position position() {
    return position;
  }

  /** A live or replayed publication; {@code seq} is null for one that is not the tests' own. */
  synchronized void received(Long seq, String offset, String epoch) {
    if (seq != null) seqs.add(seq);
    if (offset != null && epoch != null) position = new Position(offset, epoch);
  }

  /** A recovery marker: {@code rec} with {@code headers.recovered}. */
  synchronized void marker(boolean wasRecovered, String offset, String epoch, long replayedCount) {
    if (wasRecovered) {
      recovered++;
      replayed += replayedCount;
    } else {
      notRecovered++;
    }
    if (offset != null && epoch != null) position = new Position(offset, epoch);
  }

  synchronized void refused(String error) {
    errors.add(error);
  }

  synchronized int recovered() {
    return recovered;
  }

  synchronized int notRecovered() {
    return notRecovered;
  }

  synchronized long replayed() {
    return replayed;
  }

  synchronized List<String> errors() {
    return List.copyOf(errors);
  }

  synchronized Set<Long> distinctSeqs() {
    return new HashSet<>(seqs);
  }

  /** Whether every seq in {@code [from, to)} has arrived. */
  synchronized boolean hasAll(long from, long to) {
    return counts(from, to).lost() == 0;
  }

  /**
   * Over the publications {@code from <= seq < to}, in the order they arrived: how many never came, how many came
   * again, and how many came after one published later.
   */
  synchronized Counts counts(long from, long to) {
    Set<Long> seen = new HashSet<>();
    long duplicated = 0;
    long outOfOrder = 0;
    long newest = Long.MIN_VALUE;
    for (long seq : seqs) {
      if (seq < from || seq >= to) continue;
      if (!seen.add(seq)) {
        duplicated++;
      } else if (seq < newest) {
        outOfOrder++;
      }
      newest = Math.max(newest, seq);
    }
    return new Counts(to - from - seen.size(), duplicated, outOfOrder);
  }
}
