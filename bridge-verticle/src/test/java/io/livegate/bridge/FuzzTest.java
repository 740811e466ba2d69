package io.livegate.bridge;

import static io.livegate.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.livegate.core.Addresses;
import io.livegate.core.NodeConfig.BridgeLimits;
import io.livegate.testing.BridgeClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * A storm of random and malformed frames from several sockets at once, while a well-behaved client on the
 * same bridge receives every update in order: bad input costs the bridge nothing but an err frame.
 */
class FuzzTest extends BridgeTestBase {
  private static final int FUZZERS = 4;
  private static final int FRAMES_EACH = 5_000;
  private static final long SEED = 20261124L;

  @Test
  void aStormOfMalformedFramesLeavesAWellBehavedClientEveryUpdateInOrderAndTheHeapWhereItWas() throws Exception {
    List<LogRecord> warnings = new CopyOnWriteArrayList<>();
    Handler collector = collector(warnings);
    Logger.getLogger("").addHandler(collector);
    try {
      // No rate limit here: the point is that every one of these frames reaches the validator.
      SimpleMeterRegistry meters = new SimpleMeterRegistry();
      int bridgePort = startAnotherBridge(testConfig(limitFlags(new BridgeLimits(64, 1_000_000, 1000))), meters).port();
      BridgeClient good = connect(bridgePort);
      good.register(Addresses.EVENTS_UPDATES);
      long heapBefore = usedHeapAfterGc();

      AtomicLong published = new AtomicLong();
      long publisher = vertx.setPeriodic(2, id -> vertx.eventBus().publish(Addresses.EVENTS_UPDATES, published.incrementAndGet()));
      WebSocketClient client = vertx.createWebSocketClient();
      List<Future<Integer>> storms = new ArrayList<>();
      for (int f = 0; f < FUZZERS; f++) storms.add(storm(client, bridgePort, new Random(SEED + f)));
      List<Integer> errs = await(Future.all(storms)).list();
      vertx.cancelTimer(publisher);

      long last = published.get();
      for (long expected = 1; expected <= last; expected++) {
        assertEquals(expected, good.next().getLong("body"), "the well-behaved client's updates, in order");
      }
      assertEquals("PONG", good.ping().getString("type"));
      assertTrue(last > 50, "updates were published during the storm: " + last);
      int errFrames = errs.stream().mapToInt(Integer::intValue).sum();
      double refused = meters.get(BridgeMetrics.FRAMES_REFUSED).counters().stream().mapToDouble(c -> c.count()).sum();
      assertTrue(refused > FUZZERS * FRAMES_EACH / 2.0, "most of the storm was refused: " + refused);
      assertTrue(errFrames > 0, "the fuzzers were told why");
      await(client.close());

      long heapAfter = usedHeapAfterGc();
      assertTrue(heapAfter - heapBefore < 32L * 1024 * 1024,
          "heap back near where it started: " + heapBefore / 1024 + " KiB before, " + heapAfter / 1024 + " KiB after");
      assertTrue(warnings.isEmpty(), () -> "logged: " + warnings.get(0).getMessage());
    } finally {
      Logger.getLogger("").removeHandler(collector);
    }
  }

  /** One socket sending {@link #FRAMES_EACH} bad frames; completes with the number of err frames it got. */
  private Future<Integer> storm(WebSocketClient client, int port, Random random) {
    return client.connect(port, "127.0.0.1", "/eventbus/websocket").compose(ws -> {
      int[] errs = new int[1];
      ws.textMessageHandler(text -> {
        if (text.contains("\"err\"")) errs[0]++;
      });
      Future<Void> sent = Future.succeededFuture();
      for (int i = 0; i < FRAMES_EACH; i++) {
        boolean binary = random.nextInt(10) == 0;
        String frame = FRAMES.get(random.nextInt(FRAMES.size())).apply(random);
        sent = binary ? ws.writeBinaryMessage(Buffer.buffer(frame)) : ws.writeTextMessage(frame);
      }
      // A ping answered after all of them: every frame before it has been handled.
      String probe = new JsonObject().put("type", "send").put("address", Addresses.BRIDGE_PING)
          .put("replyAddress", "end").encode();
      return sent.compose(v -> ws.writeTextMessage(probe)).compose(v -> untilReplyAt(ws, "end")).map(v -> errs[0])
          .eventually(() -> ws.close());
    });
  }

  private Future<Void> untilReplyAt(WebSocket ws, String replyAddress) {
    io.vertx.core.Promise<Void> done = io.vertx.core.Promise.promise();
    ws.textMessageHandler(text -> {
      if (text.contains("\"" + replyAddress + "\"")) done.tryComplete();
    });
    vertx.setTimer(30_000, id -> done.tryFail("no reply within 30 s"));
    return done.future();
  }

  /** What the storm is made of: one generator per kind of bad input. */
  private static final List<Function<Random, String>> FRAMES = List.of(
      r -> randomText(r, r.nextInt(200)),                                            // not JSON
      r -> "{\"type\":\"send\",\"address\":\"chat.x\",\"body\":" + "[".repeat(r.nextInt(5000)),  // truncated, deep
      r -> "[".repeat(2000) + "]".repeat(2000),                                       // deep nesting
      r -> "{".repeat(r.nextInt(3000)),
      r -> new JsonObject().put("type", "publish").put("address", "chat.x").put("body", "x".repeat(r.nextInt(90_000))).encode(), // huge
      r -> new JsonObject().put("type", r.nextInt()).put("address", "chat.x").encode(), // wrong types
      r -> new JsonObject().put("type", new JsonArray().add("send")).encode(),
      r -> new JsonObject().put("type", "send").put("address", r.nextLong()).encode(),
      r -> new JsonObject().put("type", "publish").put("address", "chat.x").put("headers", new JsonObject().put("h", 1)).encode(),
      r -> "{\"type\":\"send\",\"address\":\"chat.x\",\"body\":1" + "0".repeat(40) + "}",
      r -> new JsonObject().put("type", randomText(r, 8)).put("address", "chat.x").encode(), // unknown types
      r -> new JsonObject().put("type", "send").put("address", UUID.randomUUID().toString()).put("body", 1).encode(), // spoofed replies
      r -> new JsonObject().put("type", "send").put("address", "chat.x").put("replyAddress", "__vertx.reply." + r.nextInt()).encode(),
      r -> new JsonObject().put("type", "register").put("address", "__vertx.ping." + r.nextInt()).encode(),  // internal
      r -> new JsonObject().put("type", "send").put("address", Addresses.nodeStatus("n" + r.nextInt(3))).encode(),
      r -> new JsonObject().put("type", "publish").put("address", "gateway.internal.x").put("body", "x").encode(),
      r -> new JsonObject().put("type", "unregister").put("address", "chat." + r.nextInt(100)).encode(),
      r -> "null",
      r -> String.valueOf(r.nextDouble()),
      r -> "\"" + randomText(r, 50) + "\"");

  private static String randomText(Random random, int length) {
    StringBuilder sb = new StringBuilder(length);
    for (int i = 0; i < length; i++) sb.append((char) (random.nextInt(0x2FF) + 1));
    return sb.toString();
  }

  private static long usedHeapAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      TimeUnit.MILLISECONDS.sleep(100);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static Handler collector(List<LogRecord> warnings) {
    return new Handler() {
      @Override public void publish(LogRecord record) {
        if (record.getLevel().intValue() >= Level.WARNING.intValue()) warnings.add(record);
      }
      @Override public void flush() {}
      @Override public void close() {}
    };
  }
}
