package io.livegate.bridge;

import static io.livegate.testing.Await.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.livegate.testing.BridgeClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A browser that stops reading costs the node a bounded queue, then its connection; the others carry on. */
class SlowConsumerTest extends BridgeTestBase {
  private static final int LIMIT = 64 * 1024;
  private static final String ADDRESS = "public.flood";

  private final List<LogRecord> warnings = new CopyOnWriteArrayList<>();
  private final Handler collector = new Handler() {
    @Override public void publish(LogRecord record) {
      if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
        warnings.add(record);
      }
    }
    @Override public void flush() {}
    @Override public void close() {}
  };

  @BeforeEach
  void collectWarnings() {
    Logger.getLogger("").addHandler(collector);
  }

  @AfterEach
  void stopCollecting() {
    Logger.getLogger("").removeHandler(collector);
  }

  @Test
  void aSocketThatDoesNotReadIsDroppedOnceItsQueueIsFullWhileAReadingOneGetsEverythingInOrder() throws IOException {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    BridgeVerticle limited = startAnotherBridge(testConfig("--max-queued-bytes", String.valueOf(LIMIT), "--idle-timeout-ms", "120000"), meters);
    int bridgePort = limited.port();
    BridgeClient reader = connect(bridgePort);
    reader.register(ADDRESS);
    try (RawWireClient stalled = new RawWireClient(bridgePort, 4096)) {
      stalled.open().register(ADDRESS); // and from now on reads nothing

      // 1,000 messages of 8 KiB (8 MiB, twice what the kernel's socket buffers can hold for the stalled
      // socket), in bursts of 6 (48 KiB) that the reading socket takes in before the next: its queue stays short.
      String body = "x".repeat(8 * 1024);
      int messages = 1000;
      int droppedAfter = -1;
      for (int i = 0; i < messages; i += 6) {
        for (int j = i; j < Math.min(i + 6, messages); j++) vertx.eventBus().publish(ADDRESS, new JsonObject().put("i", j).put("pad", body));
        for (int j = i; j < Math.min(i + 6, messages); j++) {
          assertEquals(j, reader.next().getJsonObject("body").getInteger("i"), "the reading socket gets every message, in order");
        }
        // The bridge wrote each to both sockets before the reader had it: a drop is counted by now.
        if (droppedAfter < 0 && meters.counter(BridgeMetrics.SLOW_CONSUMERS).count() == 1) droppedAfter = Math.min(i + 6, messages);
      }
      // Dropped while the flood went on, once its queue and the kernel's buffers were full: not held to the end.
      assertTrue(droppedAfter > 0 && droppedAfter < messages, "the stalled socket was dropped after " + droppedAfter
          + " of " + messages + " messages");
      eventually("condition", 10, () -> meters.counter(BridgeMetrics.SLOW_CONSUMERS).count() == 1);
      eventually("condition", 10, () -> limited.openConnections() == 1);
      stalled.assertEndOfStream();
    }
    assertEquals("PONG", reader.ping().getString("type"), "the reading socket is still served");
    assertEquals(1, meters.counter(BridgeMetrics.SLOW_CONSUMERS).count(), "dropped once, counted once");
    assertEquals(1, warnings.stream().filter(r -> r.getMessage().startsWith("Dropped")).count(), "logged once");
  }

  @Test
  void aSilentSocketThatIsSentToIsGivenSixIdleTimeoutsBeforeItIsClosed() throws IOException {
    long idleMs = 300;
    BridgeVerticle bridge = startAnotherBridge(testConfig("--idle-timeout-ms", String.valueOf(idleMs)), new SimpleMeterRegistry());
    try (RawWireClient busy = new RawWireClient(bridge.port(), 0)) {
      busy.open().register(ADDRESS); // then sends nothing, not even a ping, while updates keep coming
      long silentSince = System.nanoTime(); // the bridge saw the register before it answered: silent at least since
      long updates = vertx.setPeriodic(50, id -> vertx.eventBus().publish(ADDRESS, "update"));
      try {
        busy.readClose(); // reads the updates until the bridge closes it
        long keptMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - silentSince);
        // A socket nobody sends to goes after one timeout (and a sweep): this one must have outlived three.
        assertTrue(keptMs >= 3 * idleMs, "silent but sent to all along, yet closed after " + keptMs + " ms");
        eventually("condition", 10, () -> bridge.openConnections() == 0);
      } finally {
        vertx.cancelTimer(updates);
      }
    }
  }
}
