package io.livegate.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.livegate.core.Addresses;
import io.livegate.testing.BridgeClient;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
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
 * Every bad frame gets one err frame naming the reason, to its own socket only; the socket stays usable,
 * other sockets keep receiving, and nothing reaches the logs.
 */
class BadFrameTest extends BridgeTestBase {
  private final List<LogRecord> warnings = new CopyOnWriteArrayList<>();
  private final Handler warningCollector = new Handler() {
    @Override public void publish(LogRecord record) {
      if (record.getLevel().intValue() >= Level.WARNING.intValue()) warnings.add(record);
    }
    @Override public void flush() {}
    @Override public void close() {}
  };
  private BridgeClient offender;
  private BridgeClient bystander;
  private int published;

  @BeforeEach
  void connectOffenderAndBystander() {
    Logger.getLogger("").addHandler(warningCollector);
    offender = connect();
    bystander = connect();
    bystander.register(Addresses.EVENTS_UPDATES);
  }

  @AfterEach
  void nothingWasLogged() {
    Logger.getLogger("").removeHandler(warningCollector);
    assertTrue(warnings.isEmpty(), () -> "logged: " + warnings.get(0).getMessage());
  }

  @Test
  void textThatIsNotJsonIsRefusedAsInvalidJson() {
    assertRefused("hello bridge", BridgeErrors.INVALID_JSON);
  }

  @Test
  void jsonThatIsNotAnObjectIsRefusedAsInvalidJson() {
    assertRefused("[{\"type\":\"ping\"}]", BridgeErrors.INVALID_JSON);
    assertRefused("\"ping\"", BridgeErrors.INVALID_JSON);
  }

  @Test
  void binaryFrameThatIsNotJsonIsRefusedAsInvalidJson() {
    offender.writeBinary(Buffer.buffer(new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1, 2}));
    assertRefusalThenStillUsable(BridgeErrors.INVALID_JSON);
  }

  @Test
  void frameWithoutTypeIsRefusedAsMissingType() {
    assertRefused("{\"address\":\"chat.lobby\",\"body\":1}", BridgeErrors.MISSING_TYPE);
  }

  @Test
  void typeThatIsNotAStringIsRefusedAsInvalidType() {
    assertRefused("{\"type\":5,\"address\":\"chat.lobby\"}", BridgeErrors.INVALID_TYPE);
    assertRefused("{\"type\":{\"is\":\"send\"},\"address\":\"chat.lobby\"}", BridgeErrors.INVALID_TYPE);
  }

  @Test
  void unknownTypeIsRefusedAsInvalidType() {
    assertRefused("{\"type\":\"subscribe\",\"address\":\"chat.lobby\"}", BridgeErrors.INVALID_TYPE);
    assertRefused("{\"type\":\"rec\",\"address\":\"chat.lobby\"}", BridgeErrors.INVALID_TYPE);
  }

  @Test
  void frameWithoutAddressIsRefusedAsMissingAddress() {
    assertRefused("{\"type\":\"send\",\"body\":1}", BridgeErrors.MISSING_ADDRESS);
    assertRefused("{\"type\":\"register\",\"address\":42}", BridgeErrors.MISSING_ADDRESS);
    assertRefused("{\"type\":\"publish\",\"address\":\"\"}", BridgeErrors.MISSING_ADDRESS);
  }

  @Test
  void anAddressLongerThanTheRestApisLimitIsRefusedWhateverTheFrame() {
    String tooLong = "chat." + "x".repeat(Addresses.MAX_LENGTH - 4);
    for (String type : List.of("register", "send", "publish", "unregister")) {
      assertRefused(frame(type, tooLong), BridgeErrors.ADDRESS_TOO_LONG);
    }
    assertRefused(frame("register", "chat." + "x".repeat(30_000)), BridgeErrors.ADDRESS_TOO_LONG);
  }

  @Test
  void registerOnAnAddressNotPermittedOutboundIsRefused() {
    assertRefused(frame("register", Addresses.EVENTS_SNAPSHOT), BridgeErrors.ACCESS_DENIED);
    assertRefused(frame("unregister", "secret.things"), BridgeErrors.ACCESS_DENIED);
  }

  @Test
  void sendAndPublishToAnAddressNotPermittedInboundAreRefused() {
    assertRefused(frame("send", Addresses.EVENTS_UPDATES), BridgeErrors.ACCESS_DENIED);
    assertRefused(frame("publish", "public.news"), BridgeErrors.ACCESS_DENIED);
    assertRefused(frame("send", "chat.lobby; drop table"), BridgeErrors.ACCESS_DENIED);
  }

  @Test
  void sendToAnUnknownReplyAddressIsRefused() {
    assertRefused(frame("send", "2f4c9a1e-0000-4000-8000-000000000000"), BridgeErrors.ACCESS_DENIED);
  }

  @Test
  void internalAddressesAreRefusedEvenWhenTheConfigurationPermitsEverything() {
    int permissive = startAnotherBridge(withPermitted(List.of(".*"), List.of(".*")));
    offender = connect(permissive);
    offender.register("anything.goes");

    assertRefused(frame("register", "gateway.internal.x"), BridgeErrors.ACCESS_DENIED);
    assertRefused(frame("register", "__vertx.x"), BridgeErrors.ACCESS_DENIED);
    assertRefused(frame("send", Addresses.nodeStatus(BridgeTestBase.NODE_ID)), BridgeErrors.ACCESS_DENIED);
    assertRefused(frame("publish", "__vertx.x"), BridgeErrors.ACCESS_DENIED);
  }

  @Test
  void frameLargerThanTheLimitIsRefusedAsFrameTooLarge() {
    String text = "x".repeat(testConfig().maxFrameBytes() + 1);
    assertRefused(new JsonObject().put("type", "send").put("address", "chat.lobby").put("body", text).encode(),
        BridgeErrors.FRAME_TOO_LARGE);
  }

  @Test
  void headersThatAreNotAnObjectOfStringsAreRefusedAsInvalidHeaders() {
    assertRefused("{\"type\":\"publish\",\"address\":\"chat.lobby\",\"headers\":\"x\"}", BridgeErrors.INVALID_HEADERS);
    assertRefused("{\"type\":\"publish\",\"address\":\"chat.lobby\",\"headers\":{\"n\":1}}",
        BridgeErrors.INVALID_HEADERS);
    assertRefused("{\"type\":\"register\",\"address\":\"chat.lobby\",\"headers\":[\"a\"]}",
        BridgeErrors.INVALID_HEADERS);
  }

  @Test
  void replyAddressThatIsNotAShortStringIsRefused() {
    assertRefused("{\"type\":\"send\",\"address\":\"chat.lobby\",\"replyAddress\":7}",
        BridgeErrors.INVALID_REPLY_ADDRESS);
    assertRefused(new JsonObject().put("type", "send").put("address", "chat.lobby")
        .put("replyAddress", "r".repeat(37)).encode(), BridgeErrors.INVALID_REPLY_ADDRESS);
  }

  @Test
  void bodyTheEventBusCannotCarryIsRefusedAsInvalidJson() {
    assertRefused("{\"type\":\"send\",\"address\":\"chat.lobby\",\"body\":123456789012345678901234567890}",
        BridgeErrors.INVALID_JSON);
  }

  private static String frame(String type, String address) {
    return new JsonObject().put("type", type).put("address", address).put("body", "x").encode();
  }

  private void assertRefused(String text, String reason) {
    offender.writeText(text);
    assertRefusalThenStillUsable(reason);
  }

  private void assertRefusalThenStillUsable(String reason) {
    assertEquals(new JsonObject().put("type", "err").put("body", reason), offender.next());
    assertEquals("PONG", offender.ping().getString("type"), "the offending socket still works");

    vertx.eventBus().publish(Addresses.EVENTS_UPDATES, ++published);
    assertEquals(published, bystander.next().getInteger("body"), "the other socket still receives");
    offender.expectNoFrame(50);
  }
}
