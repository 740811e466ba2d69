package io.livegate.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** One address's history as its entry processors change it: numbering, what it drops, and an append run twice. */
class AddressHistoryTest {
  private static final long TTL = 60_000;

  @Test
  void offsetsGrowByOneFromOneAndTheNewestAreKept() {
    AddressHistory history = new AddressHistory("e");
    for (long id = 1; id <= 5; id++) assertEquals(id, append(history, id, 0, "{}", null, 3, 1 << 20, TTL));
    assertEquals(5, history.newest);
    assertEquals(3, history.size());
    assertEquals(3, history.oldest(0, TTL));
    assertEquals(List.of(4L, 5L), history.after(3, 0, TTL).stream().map(AddressHistory.Entry::offset).toList());
  }

  @Test
  void anAppendRunAgainIsAnsweredItsOffsetAndKeptOnce() {
    AddressHistory history = new AddressHistory("e");
    append(history, 7, 0, "\"a\"", null, 100, 1 << 20, TTL);
    append(history, 8, 0, "\"b\"", null, 100, 1 << 20, TTL);
    assertEquals(1, append(history, 7, 0, "\"a\"", null, 100, 1 << 20, TTL), "the retry of the first");
    assertEquals(2, history.size());
    assertEquals(3, append(history, 9, 0, "\"c\"", null, 100, 1 << 20, TTL));
  }

  @Test
  void aBatchTakesConsecutiveOffsetsAndRunAgainIsAnsweredItsFirstAndKeptOnce() {
    AddressHistory history = new AddressHistory("e");
    append(history, 1, 0, "0", null, 100, 1 << 20, TTL);
    long[] ids = {10, 11, 12};
    String[] bodies = {"\"a\"", "\"b\"", "\"c\""};
    String[] headers = {null, "{\"h\":\"1\"}", null};
    assertEquals(2, history.appendAll(ids, 0, bodies, headers, 100, 1 << 20, TTL));
    append(history, 13, 0, "\"d\"", null, 100, 1 << 20, TTL); // another node's, in between
    assertEquals(2, history.appendAll(ids, 0, bodies, headers, 100, 1 << 20, TTL), "the retry of the batch");
    assertEquals(5, history.size());
    assertEquals(List.of("\"a\"", "\"b\"", "\"c\"", "\"d\""),
        history.after(1, 0, TTL).stream().map(AddressHistory.Entry::body).toList());
    assertEquals("{\"h\":\"1\"}", history.after(2, 0, TTL).get(0).headers());
  }

  @Test
  void theOldestGoBeyondTheBytesAllowedButNeverTheNewest() {
    AddressHistory history = new AddressHistory("e");
    String body = "\"" + "x".repeat(1000) + "\"";
    for (long id = 1; id <= 10; id++) append(history, id, 0, body, null, 1000, 5_000, TTL);
    assertEquals(2, history.size(), "two of about 2.1 KB fit in 5 KB");
    append(history, 11, 0, "\"" + "y".repeat(10_000) + "\"", null, 1000, 5_000, TTL);
    assertEquals(1, history.size(), "one alone beyond the budget is kept");
    assertEquals(11, history.oldest(0, TTL));
  }

  @Test
  void publicationsPastTheirTimeAreNeitherReadNorKept() {
    AddressHistory history = new AddressHistory("e");
    append(history, 1, 0, "1", null, 100, 1 << 20, TTL);
    append(history, 2, 30_000, "2", null, 100, 1 << 20, TTL);
    assertEquals(2, history.oldest(TTL + 1, TTL), "the first is past its time");
    assertEquals(List.of(2L), history.after(0, TTL + 1, TTL).stream().map(AddressHistory.Entry::offset).toList());
    assertEquals(3, history.oldest(30_000 + TTL + 1, TTL), "none left: newest + 1");
    append(history, 3, 30_000 + TTL + 1, "3", null, 100, 1 << 20, TTL);
    assertEquals(1, history.size(), "dropped when the next is kept");
  }

  /** One publication alone: a batch of one. */
  private static long append(AddressHistory history, long id, long now, String body, String headers, int maxSize,
      long maxBytes, long ttlMs) {
    return history.appendAll(new long[] {id}, now, new String[] {body}, new String[] {headers}, maxSize, maxBytes, ttlMs);
  }
}
