package io.livegate.bridge;

import static io.livegate.testing.Await.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.livegate.bridge.RawWireClient.Frame;
import io.livegate.core.NodeConfig;
import io.livegate.core.NodeConfig.BridgeLimits;
import io.livegate.testing.BridgeClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.util.internal.PlatformDependent;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * SockJS over its WebSocket transport writes straight to Vert.x's WebSocket, which answers every ping: the same budget
 * and frame-rate limit as a raw WebSocket's must hold there, on the wire as a client would attack it.
 */
class SockJsBudgetTest extends BridgeTestBase {
  private static final String ADDRESS = "public.sockjs";
  private static final byte[] PING_PAYLOAD = new byte[125];

  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final List<RawWireClient> wires = new ArrayList<>();
  private BridgeVerticle limited;
  private int sessions;

  @AfterEach
  void closeWires() throws IOException {
    for (RawWireClient wire : wires) wire.close();
  }

  @Test
  void aSockJsWebSocketThatDoesNotReadIsDroppedWhileAReaderGetsEverythingInOrder() throws IOException {
    start(testConfig("--max-queued-bytes", "65536", "--idle-timeout-ms", "120000"));
    BridgeClient reader = connect(limited.port());
    reader.register(ADDRESS);
    RawWireClient stalled = session(4096);
    send(stalled, new JsonObject().put("type", "register").put("address", ADDRESS));
    bridgePing(stalled); // and from now on reads nothing

    // 8 MiB in bursts of 6 messages (48 KiB) that the reader takes in before the next.
    String pad = "x".repeat(8 * 1024);
    for (int i = 0; i < 1002; i++) {
      vertx.eventBus().publish(ADDRESS, new JsonObject().put("i", i).put("pad", pad));
      if (i % 6 == 5) {
        for (int j = i - 5; j <= i; j++) assertEquals(j, reader.next().getJsonObject("body").getInteger("i"), "in order");
      }
    }
    waitUntil(() -> closed(BridgeErrors.CLOSED_MAX_QUEUED_BYTES) == 1);
    waitUntil(() -> limited.openConnections() == 1);
    assertEquals("PONG", reader.ping().getString("type"), "the reading socket is still served");
  }

  @Test
  void aSockJsWebSocketPingFloodThatNeverReadsIsDropped() throws IOException {
    start(testConfig(limitFlags(new BridgeLimits(64, 1_000_000, 100), "--max-queued-bytes", "65536", "--idle-timeout-ms", "120000")));
    RawWireClient flood = session(4096);
    for (int i = 0; i < 200_000 && closed(BridgeErrors.CLOSED_MAX_QUEUED_BYTES) == 0; i++) {
      try {
        flood.ping(PING_PAYLOAD);
      } catch (SocketException e) {
        break; // dropped: further pings meet a reset
      }
    }
    waitUntil(() -> closed(BridgeErrors.CLOSED_MAX_QUEUED_BYTES) == 1);
    waitUntil(() -> limited.openConnections() == 0);
  }

  @Test
  void sockJsPingsBeyondTheFrameRateAreNotAnsweredAndTheSessionIsClosed() throws IOException {
    start(testConfig(limitFlags(new BridgeLimits(64, 10, 100))));
    RawWireClient pinger = session(0);
    pinger.pings(PING_PAYLOAD, 100);
    int pongs = 0;
    boolean refused = false;
    try {
      while (true) {
        Frame frame = pinger.readFrame();
        if (frame.opcode() == 0x0A) pongs++;
        if (frame.opcode() == 0x01 && text(frame).contains(BridgeErrors.RATE_LIMITED)) refused = true;
        if (frame.opcode() == 0x08) break;
      }
    } catch (EOFException e) {
      // closed without a WebSocket close frame after SockJS's own
    }
    // The burst, and what the bucket refills while they are read (a slow machine may take a second or two for it).
    assertTrue(pongs >= 20 && pongs < 50, "the burst is answered, and not the flood: " + pongs + " pongs of 100");
    assertTrue(refused, "told why in an err frame");
    assertEquals(1, closed(BridgeErrors.CLOSED_FRAME_RATE));
  }

  @Test
  void anUnfinishedSockJsMessageCountsToTheBudget() throws IOException {
    start(testConfig("--max-queued-bytes", "16384")); // below the frame limit: the budget decides
    BridgeClient reader = connect(limited.port());
    reader.register(ADDRESS);
    RawWireClient fragments = session(0);
    byte[] fragment = new byte[8 * 1024];
    java.util.Arrays.fill(fragment, (byte) ' ');
    for (int i = 0; i < 3; i++) fragments.writeFrame(i == 0 ? 0x01 : 0x00, false, fragment);
    waitUntil(() -> closed(BridgeErrors.CLOSED_MAX_QUEUED_BYTES) == 1);
    waitUntil(() -> limited.openConnections() == 1);

    vertx.eventBus().publish(ADDRESS, 2);
    assertEquals(2, reader.next().getInteger("body"));
  }

  @Test
  void sockJsFramesBeyondTheFrameLimitCostAtMostTheLimitWhileTheyArriveAndGetFrameTooLarge() throws IOException {
    assumeTrue(PlatformDependent.usedDirectMemory() >= 0, "Netty counts its direct memory");
    start(testConfig());
    int limit = testConfig().maxFrameBytes();
    int sockets = 100;
    int length = 2 * limit - 1024; // within Vert.x's frame limit: its decoder would hold it whole, rounded up
    long before = PlatformDependent.usedDirectMemory();
    for (int i = 0; i < sockets; i++) {
      RawWireClient wire = session(0);
      wire.writeRaw(frameHeader(length));
      wire.writeRaw(new byte[length - 1]); // all but the last byte, for ever
    }
    session(0).pingRoundTrip(); // a session served after them: theirs have been read
    long grown = PlatformDependent.usedDirectMemory() - before;
    assertTrue(grown <= (long) sockets * limit, "at most the frame limit per socket: " + grown / 1024 + " KiB for " + sockets);

    RawWireClient finished = session(0); // one that finishes such a frame is told, and carries on
    finished.writeRaw(frameHeader(length));
    finished.writeRaw(new byte[length]);
    String refusal = finished.readText();
    assertTrue(refusal.startsWith("a["), refusal);
    assertEquals(BridgeErrors.FRAME_TOO_LARGE, new JsonObject(new JsonArray(refusal.substring(1)).getString(0)).getString("body"));
    bridgePing(finished);
  }

  /** A masked text frame's header with a 64-bit length and a zero mask. */
  private static byte[] frameHeader(long length) {
    byte[] header = new byte[2 + 8 + 4];
    header[0] = (byte) 0x81;
    header[1] = (byte) (0x80 | 127);
    for (int i = 0; i < 8; i++) header[2 + i] = (byte) (length >>> (56 - 8 * i));
    return header;
  }

  private void start(NodeConfig config) {
    limited = startAnotherBridge(config, meters);
  }

  /** A SockJS session over its WebSocket transport, open ("o" read). */
  private RawWireClient session(int receiveBuffer) throws IOException {
    RawWireClient wire = new RawWireClient(limited.port(), receiveBuffer).upgrade("/eventbus/000/s" + (++sessions) + "/websocket");
    wires.add(wire);
    assertEquals("o", wire.readText());
    return wire;
  }

  /** A bridge frame the SockJS way: a JSON array of the messages' texts. */
  private static void send(RawWireClient wire, JsonObject frame) throws IOException {
    wire.writeText(new JsonArray().add(frame.encode()).encode());
  }

  private static void bridgePing(RawWireClient wire) throws IOException {
    send(wire, new JsonObject().put("type", "send").put("address", "bridge.ping").put("replyAddress", "p"));
    String reply = wire.readText();
    assertTrue(reply.startsWith("a["), reply);
    assertEquals("p", new JsonObject(new JsonArray(reply.substring(1)).getString(0)).getString("address"));
  }

  private static String text(Frame frame) {
    return new String(frame.payload(), java.nio.charset.StandardCharsets.UTF_8);
  }

  private double closed(String cause) {
    return meters.counter(BridgeMetrics.CONNECTIONS_CLOSED, "cause", cause).count();
  }
}
