package io.livegate.launcher;

import java.io.Serial;
import java.io.Serializable;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * One address's history, the value of its entry in the history map ({@link HazelcastHistory}): its epoch, the
 * offset of its newest publication, and the newest publications themselves, oldest first. Changed only by
 * {@link HazelcastHistory.Append} on the partition's thread, read by {@link HazelcastHistory.Read}.
 */
final class AddressHistory implements Serializable {
  @Serial private static final long serialVersionUID = 1L;
  /** What an entry costs besides its text: the record, its strings' headers, the deque's slot. */
  private static final int ENTRY_OVERHEAD = 96;

  /** How far back an append looks for itself (see {@link #append}). */
  private static final int RETRY_WINDOW = 64;

  /** A kept publication; {@code keptAt} in ms of the publishing node's clock; {@code id} its append's, at random. */
  record Entry(long offset, long keptAt, long id, String body, String headers) implements Serializable {
    int bytes() {
      return ENTRY_OVERHEAD + 2 * (body.length() + (headers == null ? 0 : headers.length()));
    }
  }

  final String epoch;
  long newest;
  private long bytes;
  private final ArrayDeque<Entry> entries = new ArrayDeque<>();

  AddressHistory(String epoch) {
    this.epoch = epoch;
  }

  /**
   * Keeps the next publication, then drops the oldest beyond the size, the bytes and the age allowed (never the
   * newest). An append that is already among the newest (Hazelcast ran it again: its node died after the backup had
   * it, before it answered) is answered its offset, and kept once.
   */
  long append(long id, long now, String body, String headers, int maxSize, long maxBytes, long ttlMs) {
    int looked = 0;
    for (var newestFirst = entries.descendingIterator(); newestFirst.hasNext() && looked++ < RETRY_WINDOW; ) {
      Entry kept = newestFirst.next();
      if (kept.id() == id) return kept.offset();
    }
    Entry entry = new Entry(++newest, now, id, body, headers);
    entries.addLast(entry);
    bytes += entry.bytes();
    while (entries.size() > 1 && (entries.size() > maxSize || bytes > maxBytes || entries.peekFirst().keptAt() < now - ttlMs)) {
      bytes -= entries.pollFirst().bytes();
    }
    return newest;
  }

  /** The offset of the oldest publication still kept at {@code now}; {@code newest + 1} if none is. */
  long oldest(long now, long ttlMs) {
    for (Entry entry : entries) {
      if (entry.keptAt() >= now - ttlMs) return entry.offset();
    }
    return newest + 1;
  }

  /** The publications after {@code since} still kept at {@code now}, oldest first. */
  List<Entry> after(long since, long now, long ttlMs) {
    List<Entry> found = new ArrayList<>();
    for (Entry entry : entries) {
      if (entry.offset() > since && entry.keptAt() >= now - ttlMs) found.add(entry);
    }
    return found;
  }

  int size() {
    return entries.size();
  }

  long bytes() {
    return bytes;
  }
}
