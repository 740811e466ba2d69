package io.livegate.bridge;

import static io.livegate.testing.Await.await;
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
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One budget per raw WebSocket, attacked as a client would: pings that are never read, pings beyond the frame
 * rate, fragments of a message that never ends or never stops growing, text that is not UTF-8. Each is answered
 * with its close code or err frame and its counter, and a well-behaved client on the same bridge is served all along.
 */
class ConnectionBudgetTest extends BridgeTestBase {
  private static final String ADDRESS = "public.canary";
  private static final byte[] PING_PAYLOAD = new byte[125];

  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final List<RawWireClient> wires = new ArrayList<>();
  private final List<LogRecord> logged = new CopyOnWriteArrayList<>();
  private final Handler collector = new Handler() {
    @Override public void publish(LogRecord record) {
      if (record.getLevel().intValue() >= Level.INFO.intValue() && record.getLoggerName().startsWith("io.livegate")) {
        logged.add(record);
      }
    }
    @Override public void flush() {}
    @Override public void close() {}
  };
  private BridgeVerticle limited;

  @BeforeEach
  void collectLogs() {
    Logger.getLogger("").addHandler(collector);
  }

  @AfterEach
  void closeWires() throws IOException {
    Logger.getLogger("").removeHandler(collector);
    for (RawWireClient wire : wires) wire.close();
  }

  @Test
  void aPingFloodThatNeverReadsIsDroppedForItsBudgetWhileAReaderGetsEverythingInOrder() throws IOException {
    // A rate limit out of the way: the budget alone must stop it.
    start(testConfig(limitFlags(new BridgeLimits(64, 1_000_000, 100), "--max-queued-bytes", "65536", "--idle-timeout-ms", "120000")));
    BridgeClient reader = connect(limited.port());
    reader.register(ADDRESS);
    RawWireClient flood = wire(4096).open();

    // Up to 24 MiB of pongs, several times what the kernel's buffers hold for a socket that does not read.
    int published = 0;
    boolean dropped = false;
    for (int i = 0; i < 200_000 && !dropped; i++) {
      try {
        flood.ping(PING_PAYLOAD);
      } catch (IOException e) {
        dropped = true; // the bridge closed it: further pings meet a reset
      }
      if (i % 200 == 0) vertx.eventBus().publish(ADDRESS, published++);
    }
    waitUntil(() -> closed(BridgeErrors.CLOSED_MAX_QUEUED_BYTES) == 1);
    waitUntil(() -> limited.openConnections() == 1);
    for (int i = 0; i < published; i++) {
      assertEquals(i, reader.next().getInteger("body"), "the reading client gets every message, in order");
    }
    assertEquals(1, meters.counter(BridgeMetrics.SLOW_CONSUMERS).count(), "counted as a slow consumer too");
    assertEquals(0, await(limited.heldBytes()), "nothing is held for anyone any more");
    assertEquals(1, logged("Dropped"), "logged once");
  }

  @Test
  void pingsBeyondTheFrameRateAreNotAnsweredAndASocketThatGoesOnIsClosedWith1008() throws IOException {
    start(testConfig(limitFlags(new BridgeLimits(64, 10, 100))));
    BridgeClient reader = connect(limited.port());
    reader.register(ADDRESS);
    RawWireClient pinger = wire(0).open();

    pinger.pings(PING_PAYLOAD, 100); // a burst of 20 answered, then refused, then closed
    int pongs = 0;
    int refusals = 0;
    Frame frame;
    while ((frame = pinger.readFrame()).opcode() != 0x08) {
      if (frame.opcode() == 0x0A) pongs++;
      if (frame.opcode() == 0x01) {
        assertEquals(BridgeErrors.RATE_LIMITED, new JsonObject(new String(frame.payload(), StandardCharsets.UTF_8)).getString("body"));
        refusals++;
      }
    }
    assertEquals(1008, frame.status());
    pinger.assertEndOfStream();
    // The burst, and what the bucket refills while they are read (a slow machine may take a second or two for it).
    assertTrue(pongs >= 20 && pongs < 50, "the burst is answered, and not the flood: " + pongs + " pongs of 100");
    assertTrue(refusals >= 10, refusals + " refusals");
    assertEquals(1, closed(BridgeErrors.CLOSED_FRAME_RATE));
    assertEquals(1, meters.counter(BridgeMetrics.CLOSED_FOR_RATE).count());

    vertx.eventBus().publish(ADDRESS, 7);
    assertEquals(7, reader.next().getInteger("body"), "the other socket is served as before");
  }

  @Test
  void webSocketPingsKeepASocketOpenPastTheIdleTimeoutAsBridgePingsDo() throws IOException {
    start(testConfig("--idle-timeout-ms", "300"));
    RawWireClient silent = wire(0).open();
    RawWireClient pinger = wire(0).open();
    waitUntil(() -> limited.openConnections() == 2);
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (limited.openConnections() == 2) { // until the idle sweep has closed the silent one
      assertTrue(System.nanoTime() < deadline, "the silent socket is closed within the idle timeout's sweeps");
      pinger.pingRoundTrip();
      sleep(50);
    }
    silent.assertEndOfStream();
    pinger.bridgePing(); // the one that pinged is open and served
    assertEquals(1, limited.openConnections());
  }

  @Test
  void pongsFromTheClientTakeFrameTokensToo() throws IOException {
    start(testConfig(limitFlags(new BridgeLimits(64, 10, 100))));
    RawWireClient ponger = wire(0).open();
    for (int i = 0; i < 20; i++) ponger.writeFrame(0x0A, true, PING_PAYLOAD); // unasked-for pongs: the burst
    ponger.writeText("{\"type\":\"ping\"}");
    assertEquals(BridgeErrors.RATE_LIMITED, new JsonObject(ponger.readText()).getString("body"));
  }

  @Test
  void anUnfinishedMessageHoldsAtMostTheFrameLimitAndAHugeOneGetsFrameTooLargeAndTheSocketCarriesOn() throws IOException {
    start(testConfig());
    int limit = testConfig().maxFrameBytes();
    BridgeClient reader = connect(limited.port());
    reader.register(ADDRESS);
    RawWireClient fragments = wire(0).open();
    byte[] fragment = new byte[60 * 1024];
    Arrays.fill(fragment, (byte) 'x');

    fragments.writeFrame(0x01, false, fragment);
    fragments.pingRoundTrip(); // a ping may come between fragments, and is answered after them
    long holding = await(limited.heldBytes());
    assertTrue(holding >= fragment.length && holding <= limit, "one fragment held: " + holding);

    for (int i = 0; i < 40; i++) fragments.writeFrame(0x00, false, fragment); // 2.4 MiB more, never joined
    fragments.pingRoundTrip();
    assertTrue(await(limited.heldBytes()) <= limit, "at most the frame limit while it goes on");

    fragments.writeFrame(0x00, true, fragment);
    assertEquals(BridgeErrors.FRAME_TOO_LARGE, new JsonObject(fragments.readText()).getString("body"));
    assertEquals(0, await(limited.heldBytes()), "nothing held once it has ended");
    assertEquals(1, refused(BridgeErrors.FRAME_TOO_LARGE));

    fragments.register(ADDRESS); // the connection carries on
    vertx.eventBus().publish(ADDRESS, 1);
    assertEquals(1, new JsonObject(fragments.readText()).getInteger("body"));
    assertEquals(1, reader.next().getInteger("body"));
  }

  @Test
  void unfinishedFramesBeyondTheFrameLimitCostAtMostTheLimitWhileTheyArrive() throws IOException {
    assumeTrue(PlatformDependent.usedDirectMemory() >= 0, "Netty counts its direct memory");
    start(testConfig());
    int limit = testConfig().maxFrameBytes();
    int sockets = 100;
    int length = 2 * limit - 1024; // within the transport's limit: the decoder would hold it whole, rounded up
    long before = PlatformDependent.usedDirectMemory();
    for (int i = 0; i < sockets; i++) {
      RawWireClient wire = wire(0).open();
      wire.writeRaw(frameHeader(0x81, length));
      wire.writeRaw(new byte[length - 1]); // all but the last byte, for ever
    }
    wire(0).open().pingRoundTrip(); // a socket served after them: theirs have been read
    long grown = PlatformDependent.usedDirectMemory() - before;
    assertTrue(grown <= (long) sockets * limit, "at most the frame limit per socket: " + grown / 1024 + " KiB for " + sockets);

    RawWireClient finished = wire(0).open(); // and one that finishes such a frame is told, and carries on
    finished.writeRaw(frameHeader(0x81, length));
    finished.writeRaw(new byte[length]);
    assertEquals(BridgeErrors.FRAME_TOO_LARGE, new JsonObject(finished.readText()).getString("body"));
    finished.bridgePing();
  }

  @Test
  void framesCutInPiecesBetweenReadsAreJudgedAsWholeOnes() throws IOException {
    start(testConfig());
    int limit = testConfig().maxFrameBytes();
    RawWireClient wire = wire(0).open();
    byte[] register = ("{\"type\":\"register\",\"address\":\"" + ADDRESS + "\"}").getBytes(StandardCharsets.UTF_8);
    byte[] small = new byte[2 + 4 + register.length];
    small[0] = (byte) 0x81;
    small[1] = (byte) (0x80 | register.length);
    System.arraycopy(register, 0, small, 6, register.length); // a zero mask
    wire.trickle(small);
    wire.bridgePing();
    vertx.eventBus().publish(ADDRESS, 4);
    assertEquals(4, new JsonObject(wire.readText()).getInteger("body"), "the small frame was read whole");

    wire.trickle(frameHeader(0x81, limit + 1)); // over the limit, its header in fourteen reads
    wire.writeRaw(new byte[limit + 1]);
    assertEquals(BridgeErrors.FRAME_TOO_LARGE, new JsonObject(wire.readText()).getString("body"));
    wire.bridgePing();
  }

  /** A masked frame's header (FIN and opcode in {@code first}) with a 64-bit length and a zero mask. */
  private static byte[] frameHeader(int first, long length) {
    byte[] header = new byte[2 + 8 + 4];
    header[0] = (byte) first;
    header[1] = (byte) (0x80 | 127);
    for (int i = 0; i < 8; i++) header[2 + i] = (byte) (length >>> (56 - 8 * i));
    return header;
  }

  @Test
  void aFragmentedMessageUpToTheFrameLimitArrivesWhole() throws IOException {
    start(testConfig());
    int limit = testConfig().maxFrameBytes();
    RawWireClient client = wire(0).open();
    client.register("chat.lobby");
    String envelope = new JsonObject().put("type", "publish").put("address", "chat.lobby").put("body", "").encode();
    String body = "y".repeat(limit - envelope.length());
    byte[] publish = new JsonObject().put("type", "publish").put("address", "chat.lobby").put("body", body).encode()
        .getBytes(StandardCharsets.UTF_8);
    assertEquals(limit, publish.length);

    int third = publish.length / 3;
    client.writeFrame(0x01, false, Arrays.copyOfRange(publish, 0, third));
    client.writeFrame(0x00, false, Arrays.copyOfRange(publish, third, 2 * third));
    client.writeFrame(0x00, true, Arrays.copyOfRange(publish, 2 * third, publish.length));
    assertEquals(body, new JsonObject(client.readText()).getString("body"));
  }

  @Test
  void aFragmentedMessageBeyondTheBudgetOfAConnectionClosesItWith1008() throws IOException {
    start(testConfig("--max-queued-bytes", "16384")); // below the frame limit: the budget decides
    BridgeClient reader = connect(limited.port());
    reader.register(ADDRESS);
    RawWireClient fragments = wire(0).open();
    byte[] fragment = new byte[8 * 1024];
    for (int i = 0; i < 3; i++) fragments.writeFrame(i == 0 ? 0x01 : 0x00, false, fragment);
    assertEquals(1008, fragments.readClose().status());
    fragments.assertEndOfStream();
    waitUntil(() -> closed(BridgeErrors.CLOSED_MAX_QUEUED_BYTES) == 1);

    vertx.eventBus().publish(ADDRESS, 2);
    assertEquals(2, reader.next().getInteger("body"));
  }

  @Test
  void invalidUtf8InATextFrameClosesWith1007() throws IOException {
    start(testConfig());
    BridgeClient reader = connect(limited.port());
    reader.register(ADDRESS);
    RawWireClient wire = wire(0).open();
    wire.writeFrame(0x01, true, new byte[] {'{', '"', (byte) 0xC3, 0x28, '"', '}'}); // 0xC3 0x28: no UTF-8
    assertEquals(1007, wire.readClose().status());
    wire.assertEndOfStream();
    waitUntil(() -> closed(BridgeErrors.CLOSED_INVALID_UTF8) == 1);
    assertEquals(0, refused(BridgeErrors.INVALID_JSON), "not taken for bad JSON");

    RawWireClient split = wire(0).open(); // a character cut in two between fragments is still one character
    byte[] ping = "{\"type\":\"send\",\"address\":\"bridge.ping\",\"replyAddress\":\"pé\"}".getBytes(StandardCharsets.UTF_8);
    int cut = new String(ping, StandardCharsets.UTF_8).indexOf('é') + 1; // the byte after 'p': within 'é'
    split.writeFrame(0x01, false, Arrays.copyOfRange(ping, 0, cut));
    split.writeFrame(0x00, true, Arrays.copyOfRange(ping, cut, ping.length));
    assertEquals("pé", new JsonObject(split.readText()).getString("address"));

    vertx.eventBus().publish(ADDRESS, 3);
    assertEquals(3, reader.next().getInteger("body"));
  }

  @Test
  void closingsAreLoggedOnceAMinutePerCauseWithACount() throws IOException {
    start(testConfig(limitFlags(new BridgeLimits(64, 5, 100))));
    for (int socket = 0; socket < 3; socket++) {
      RawWireClient flood = wire(0).open();
      flood.pings(PING_PAYLOAD, 30);
      assertEquals(1008, flood.readClose().status());
    }
    waitUntil(() -> closed(BridgeErrors.CLOSED_FRAME_RATE) == 3);
    assertEquals(1, logged("Closing"), "one line for the first, the others counted");

    ClosingLog log = new ClosingLog(vertx, 100);
    vertx.runOnContext(v -> {
      for (int i = 0; i < 5; i++) log.closed(BridgeErrors.CLOSED_PROTOCOL_ERROR, Level.INFO, () -> "first of five", "tries");
    });
    waitUntil(() -> logged("... and 4 more tries in the last minute") == 1);
    assertEquals(1, logged("first of five"));
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private void start(NodeConfig config) {
    limited = startAnotherBridge(config, meters);
  }

  private RawWireClient wire(int receiveBuffer) throws IOException {
    RawWireClient wire = new RawWireClient(limited.port(), receiveBuffer);
    wires.add(wire);
    return wire;
  }

  private double closed(String cause) {
    return meters.counter(BridgeMetrics.CONNECTIONS_CLOSED, "cause", cause).count();
  }

  private double refused(String reason) {
    return meters.counter(BridgeMetrics.FRAMES_REFUSED, "reason", reason).count();
  }

  private long logged(String prefix) {
    return logged.stream().filter(r -> r.getMessage().startsWith(prefix)).count();
  }
}
