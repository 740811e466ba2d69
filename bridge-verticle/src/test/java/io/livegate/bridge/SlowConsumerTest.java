package io.livegate.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A browser that stops reading costs the node a bounded queue, then its connection; the others carry on. */
class SlowConsumerTest extends BridgeTestBase {
  private static final int LIMIT = 64 * 1024;
  private static final String ADDRESS = "public.flood";

  @Test
  void aSocketThatDoesNotReadIsDroppedOnceItsQueueIsFullWhileAReadingOneGetsEverythingInOrder() throws IOException {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    BridgeVerticle limited = startAnotherBridge(testConfig().withMaxQueuedBytes(LIMIT).withIdleTimeout(120_000), meters);
    int bridgePort = limited.port();
    BridgeClient reader = connect(bridgePort);
    reader.register(ADDRESS);
    try (RawWireClient stalled = new RawWireClient(bridgePort, 4096)) {
      stalled.open().register(ADDRESS); // and from now on reads nothing

      // 1,000 messages of 8 KiB (8 MiB, twice what the kernel's socket buffers can hold for the stalled
      // socket), in bursts of 6 (48 KiB) that the reading socket takes in before the next: its queue stays short.
      String body = "x".repeat(8 * 1024);
      int messages = 1000;
      for (int i = 0; i < messages; i += 6) {
        for (int j = i; j < Math.min(i + 6, messages); j++) vertx.eventBus().publish(ADDRESS, new JsonObject().put("i", j).put("pad", body));
        for (int j = i; j < Math.min(i + 6, messages); j++) {
          assertEquals(j, reader.next().getJsonObject("body").getInteger("i"), "the reading socket gets every message, in order");
        }
      }
      waitUntil(() -> meters.counter(BridgeMetrics.SLOW_CONSUMERS).count() == 1);
      waitUntil(() -> limited.openConnections() == 1);
      stalled.assertEndOfStream();
    }
    assertEquals("PONG", reader.ping().getString("type"), "the reading socket is still served");
    assertEquals(1, meters.counter(BridgeMetrics.SLOW_CONSUMERS).count(), "dropped once, counted once");
  }

  @Test
  void aSilentSocketThatIsSentToIsGivenSixIdleTimeoutsBeforeItIsClosed() throws IOException, InterruptedException {
    long idleMs = 300;
    BridgeVerticle bridge = startAnotherBridge(testConfig().withIdleTimeout(idleMs), new SimpleMeterRegistry());
    try (RawWireClient busy = new RawWireClient(bridge.port(), 0)) {
      busy.open().register(ADDRESS); // then sends nothing, not even a ping, while updates keep coming
      long updates = vertx.setPeriodic(50, id -> vertx.eventBus().publish(ADDRESS, "update"));
      try {
        Thread.sleep(3 * idleMs);
        assertEquals(1, bridge.openConnections(), "silent for three timeouts, but sent to all along: kept");
        waitUntil(() -> bridge.openConnections() == 0); // six timeouts: closed all the same
      } finally {
        vertx.cancelTimer(updates);
      }
    }
  }

  private static void waitUntil(java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "condition not met within 10 s");
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }
}
