package io.livegate.launcher;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * One address's history, the value of its entry in the history map ({@link HazelcastHistory}): its epoch, the
 * offset of its newest publication, and the newest publications themselves, oldest first. Changed only by
 * {@link HazelcastHistory.AppendAll} on the partition's thread, read by {@link HazelcastHistory.Read}.
 */
final class AddressHistory implements HistorySerialization.Type {
  /** What an entry costs besides its text: the record, its strings' headers, the deque's slot. */
  private static final int ENTRY_OVERHEAD = 96;

  /** How far back an append looks for itself (see {@link #appendAll}): a few batches of other nodes' publications. */
  private static final int RETRY_WINDOW = 4 * AppendQueues.MAX_BATCH;

  /** A kept publication; {@code keptAt} in ms of the publishing node's clock; {@code id} its append's, at random. */
  record Entry(long offset, long keptAt, long id, String body, String headers) {
    int bytes() {
      return ENTRY_OVERHEAD + 2 * (body.length() + (headers == null ? 0 : headers.length()));
    }
  }

  String epoch;
  long newest;
  private long bytes;
  private final ArrayDeque<Entry> entries = new ArrayDeque<>();

  AddressHistory(String epoch) {
    this.epoch = epoch;
  }

  /** For Hazelcast's serialization ({@link HistorySerialization}). */
  AddressHistory() {
  }

  /**
   * Keeps the next publications, at consecutive offsets, then drops the oldest beyond the size, the bytes and the age
   * allowed (never the newest). A batch that is already among the newest (Hazelcast ran it again: its node died after
   * the backup had it, before it answered) is answered its first offset, and kept once.
   */
  long appendAll(long[] ids, long now, String[] bodies, String[] headers, int maxSize, long maxBytes, long ttlMs) {
    long last = ids[ids.length - 1];
    int looked = 0;
    for (var newestFirst = entries.descendingIterator(); newestFirst.hasNext() && looked++ < RETRY_WINDOW; ) {
      Entry kept = newestFirst.next();
      if (kept.id() == last) return kept.offset() - (ids.length - 1);
    }
    long first = newest + 1;
    for (int i = 0; i < ids.length; i++) {
      Entry entry = new Entry(++newest, now, ids[i], bodies[i], headers[i]);
      entries.addLast(entry);
      bytes += entry.bytes();
    }
    while (entries.size() > 1 && (entries.size() > maxSize || bytes > maxBytes || entries.peekFirst().keptAt() < now - ttlMs)) {
      bytes -= entries.pollFirst().bytes();
    }
    return first;
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

  @Override
  public int getClassId() {
    return HistorySerialization.ADDRESS_HISTORY;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(epoch);
    out.writeLong(newest);
    writeEntries(out, entries);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    epoch = in.readString();
    newest = in.readLong();
    for (Entry entry : readEntries(in)) {
      entries.addLast(entry);
      bytes += entry.bytes();
    }
  }

  static void writeEntries(ObjectDataOutput out, Collection<Entry> entries) throws IOException {
    out.writeInt(entries.size());
    for (Entry entry : entries) {
      out.writeLong(entry.offset());
      out.writeLong(entry.keptAt());
      out.writeLong(entry.id());
      out.writeString(entry.body());
      out.writeString(entry.headers());
    }
  }

  static List<Entry> readEntries(ObjectDataInput in) throws IOException {
    int count = in.readInt();
    List<Entry> entries = new ArrayList<>(Math.min(count, 4096));
    for (int i = 0; i < count; i++) {
      entries.add(new Entry(in.readLong(), in.readLong(), in.readLong(), in.readString(), in.readString()));
    }
    return entries;
  }
}
