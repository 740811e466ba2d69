package io.livegate.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

/** A warning that every request repeats is one line at once and then one a minute with a count, never one per request. */
class RepeatedWarningsTest {
  private final AtomicLong clock = new AtomicLong(1_000_000);
  private final List<LogRecord> written = new ArrayList<>();
  private final RepeatedWarnings warnings = new RepeatedWarnings(clock::get, written::add);

  @Test
  void aWarningRepeatedByEveryRequestIsOneLineAndThenACountAMinute() {
    for (int i = 0; i < 1_235; i++) warnings.publish(warning("GET /api/things/" + i + " from 10.0.0." + (i % 250) + " -> 500"));
    assertEquals(1, written.size(), "the first one at once, the others counted");
    assertEquals("GET /api/things/0 from 10.0.0.0 -> 500", written.get(0).getMessage());

    clock.addAndGet(RepeatedWarnings.WINDOW_MS - 1);
    warnings.flush();
    assertEquals(1, written.size(), "nothing more within the minute");

    clock.addAndGet(1);
    warnings.flush();
    assertEquals(2, written.size());
    assertEquals("GET /api/things/1234 from 10.0.0.234 -> 500 (and 1,234 more like it in the last minute)",
        written.get(1).getMessage());
    assertEquals(Level.WARNING, written.get(1).getLevel());

    warnings.publish(warning("GET /api/things/9 from 10.0.0.9 -> 500"));
    assertEquals(3, written.size(), "a quiet minute later the next one is written at once");
  }

  @Test
  void warningsOfOtherKindsAndTheNodesOwnEventsPass() {
    warnings.publish(warning("no event-bus connection to node 1"));
    warnings.publish(warning("drain failed: boom"));
    warnings.publish(new LogRecord(Level.SEVERE, "no event-bus connection to node 1"));
    for (int i = 0; i < 3; i++) warnings.publish(new LogRecord(Level.INFO, "node 1 joined"));
    assertEquals(6, written.size());
    clock.addAndGet(RepeatedWarnings.WINDOW_MS);
    warnings.flush();
    assertEquals(6, written.size(), "no summary where nothing was held back");
  }

  @Test
  void kindsBeyondTheLimitAreCountedTogetherSoThatTheMapStaysBounded() {
    for (int i = 0; i < RepeatedWarnings.MAX_KINDS + 500; i++) {
      warnings.publish(warning("kind " + Character.toString('a' + i % 26) + Character.toString('a' + i / 26 % 26)
          + Character.toString('a' + i / 676)));
    }
    assertEquals(RepeatedWarnings.MAX_KINDS + 1, written.size(), "one more line for all the others together");
  }

  @Test
  void theNodesLogWritesTheSummaryLineWithItsNodeId() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    NodeLog.StdoutHandler handler = new NodeLog.StdoutHandler(out);
    RuntimeException trace = new IllegalStateException("client went away");
    for (int i = 0; i < 100; i++) {
      LogRecord record = warning("Connection reset by peer " + i);
      record.setThrown(trace);
      record.setLoggerName("io.vertx.core.net.impl.ConnectionBase");
      handler.publish(record);
    }
    String text = out.toString(StandardCharsets.UTF_8);
    assertEquals(1, text.lines().count(), text);
    assertTrue(text.contains("WARNING node="), text);
    assertFalse(text.contains("(and"), text);
  }

  private static LogRecord warning(String message) {
    LogRecord record = new LogRecord(Level.WARNING, message);
    record.setLoggerName("io.livegate.rest.HttpErrors");
    return record;
  }
}
