package io.livegate.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.livegate.bridge.RawWireClient.Frame;
import io.livegate.core.Addresses;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.io.IOException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Base64;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Browsers with tokens reach what their channels claim grants, no more; a bad token gets a clear err and a close. */
class JwtTest extends BridgeTestBase {
  private static final String SECRET = "a-test-secret-of-at-least-32-characters";
  private static final JsonObject ALICE = new JsonObject().put("sub", "alice").put("channels", new JsonObject()
      .put("subscribe", new JsonArray().add("private\\.alice\\..*")).put("publish", new JsonArray().add("chat\\.team")));
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final List<RawWireClient> wires = new ArrayList<>();
  private int bridgePort;

  @AfterEach
  void closeWires() throws IOException {
    for (RawWireClient wire : wires) wire.close();
  }

  @Test
  void aTokenReachesWhatItsChannelsClaimGrantsAndNothingElse() throws Exception {
    start(true);
    RawWireClient alice = wire().open(token(SECRET, ALICE, 60));
    alice.register("private.alice.inbox");
    vertx.eventBus().publish("private.alice.inbox", "for alice");
    assertEquals("for alice", new JsonObject(alice.readText()).getString("body"));

    alice.writeText(new JsonObject().put("type", "register").put("address", Addresses.EVENTS_UPDATES).encode());
    assertEquals(err(BridgeErrors.ACCESS_DENIED), new JsonObject(alice.readText()), "public, but not granted by the token");
    alice.writeText(new JsonObject().put("type", "register").put("address", "private.bob.inbox").encode());
    assertEquals(err(BridgeErrors.ACCESS_DENIED), new JsonObject(alice.readText()));
    alice.writeText(new JsonObject().put("type", "publish").put("address", "chat.other").put("body", 1).encode());
    assertEquals(err(BridgeErrors.ACCESS_DENIED), new JsonObject(alice.readText()));

    CompletableFuture<Object> team = new CompletableFuture<>();
    vertx.eventBus().consumer("chat.team", message -> team.complete(message.body()));
    alice.writeText(new JsonObject().put("type", "publish").put("address", "chat.team").put("body", "hello team").encode());
    assertEquals("hello team", team.get(5, TimeUnit.SECONDS));
  }

  @Test
  void aForgedExpiredOrMalformedTokenGetsAnErrFrameAndTheSocketIsClosed() throws IOException {
    start(true);
    assertRefusedOnConnect(token("another-secret-that-is-at-least-32-characters", ALICE, 60), BridgeErrors.INVALID_TOKEN);
    assertRefusedOnConnect(token(SECRET, ALICE.copy().put("exp", System.currentTimeMillis() / 1000 - 60), 0),
        BridgeErrors.TOKEN_EXPIRED);
    assertRefusedOnConnect("not.a.jwt", BridgeErrors.INVALID_TOKEN);
    assertRefusedOnConnect(token(SECRET, new JsonObject().put("sub", "no-channels"), 60), BridgeErrors.INVALID_TOKEN);
    assertRefusedOnConnect(token(SECRET, new JsonObject().put("channels", new JsonArray().add("(")), 60),
        BridgeErrors.INVALID_TOKEN);
    assertEquals(4, meters.counter(BridgeMetrics.CONNECTIONS_REFUSED, "reason", BridgeErrors.INVALID_TOKEN).count());
    assertEquals(1, meters.counter(BridgeMetrics.CONNECTIONS_REFUSED, "reason", BridgeErrors.TOKEN_EXPIRED).count());
  }

  @Test
  void aTokenThatExpiresWhileConnectedEndsThatSocketsAccessAtItsExpiry() throws IOException {
    start(true);
    RawWireClient alice = wire().open(token(SECRET, ALICE.copy().put("exp", System.currentTimeMillis() / 1000 + 2), 0));
    alice.register("private.alice.inbox");
    long connectedAt = System.nanoTime();
    Frame frame = alice.readFrame(); // nothing comes until the expiry (within the 5 s read timeout)
    assertEquals(err(BridgeErrors.TOKEN_EXPIRED), new JsonObject(new String(frame.payload())));
    assertEquals(0x08, alice.readFrame().opcode());
    alice.assertEndOfStream();
    assertEquals(true, System.nanoTime() - connectedAt > TimeUnit.MILLISECONDS.toNanos(500), "not before its expiry");
  }

  @Test
  void withoutAnonymousAccessABrowserNeedsATokenAndWithItTheConfiguredAddressesAreOpen() throws IOException {
    start(false);
    assertRefusedOnConnect(null, BridgeErrors.TOKEN_REQUIRED);

    start(true);
    RawWireClient anonymous = wire().open();
    anonymous.register(Addresses.EVENTS_UPDATES);
    vertx.eventBus().publish(Addresses.EVENTS_UPDATES, 1);
    assertEquals(1, new JsonObject(anonymous.readText()).getInteger("body"));
  }

  @Test
  void withAnRs256PublicKeyTokensSignedByItsPrivateKeyAreAdmittedAndOthersAreNot() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    KeyPair keys = generator.generateKeyPair();
    bridgePort = startAnotherBridge(testConfig("--jwt-public-key",
        pemFile(pem("PUBLIC KEY", keys.getPublic().getEncoded()))), meters).port();
    JWTAuth issuer = JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions()
        .setAlgorithm("RS256").setBuffer(pem("PRIVATE KEY", keys.getPrivate().getEncoded()))));
    String signed = issuer.generateToken(ALICE, new JWTOptions().setAlgorithm("RS256").setExpiresInSeconds(60));

    RawWireClient alice = wire().open(signed);
    alice.register("private.alice.inbox");
    vertx.eventBus().publish("private.alice.inbox", "rs256");
    assertEquals("rs256", new JsonObject(alice.readText()).getString("body"));
    assertRefusedOnConnect(token(SECRET, ALICE, 60), BridgeErrors.INVALID_TOKEN); // HS256: not what this bridge trusts
  }

  /** A PEM in a file of its own, as --jwt-public-key takes it; deleted when the JVM exits. */
  private static String pemFile(String pem) throws IOException {
    java.nio.file.Path file = java.nio.file.Files.createTempFile("livegate-jwt-", ".pem");
    file.toFile().deleteOnExit();
    java.nio.file.Files.writeString(file, pem);
    return file.toString();
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  @Test
  void presenceShowsATokensSubjectAsWhoItIsAndListsOnlyWhatTheTokenMayRegisterOn() throws Exception {
    start(true);
    JsonObject claims = new JsonObject().put("sub", "alice").put("channels", new JsonObject()
        .put("subscribe", new JsonArray().add("chat\\.team")));
    RawWireClient alice = wire().open(token(SECRET, claims, 60));
    alice.writeText(new JsonObject().put("type", "register").put("address", "chat.team")
        .put("headers", new JsonObject().put("name", "Alice A.")).encode());
    alice.writeText(new JsonObject().put("type", "send").put("address", "presence.chat.team").put("replyAddress", "r1").encode());
    JsonObject member = new JsonObject(alice.readText()).getJsonObject("body").getJsonArray("members").getJsonObject(0);
    assertEquals("alice", member.getString("client"), "the token's sub");
    assertEquals("Alice A.", member.getString("name"));
    alice.writeText(new JsonObject().put("type", "send").put("address", "presence.chat.other").put("replyAddress", "r2").encode());
    assertEquals(err(BridgeErrors.ACCESS_DENIED), new JsonObject(alice.readText()), "not granted: refused as a register is");
  }

  private void start(boolean anonymous) {
    bridgePort = startAnotherBridge(testConfig("--jwt-secret", SECRET,
        "--anonymous", String.valueOf(anonymous)), meters).port();
  }

  private void assertRefusedOnConnect(String token, String reason) throws IOException {
    RawWireClient wire = token == null ? wire().open() : wire().open(token);
    assertEquals(err(reason), new JsonObject(wire.readText()));
    Frame close = wire.readFrame();
    assertEquals(0x08, close.opcode());
    assertEquals(1008, close.status());
    wire.assertEndOfStream();
  }

  private String token(String secret, JsonObject claims, int expiresInSeconds) {
    JWTAuth signer = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(secret)));
    JWTOptions options = new JWTOptions();
    if (expiresInSeconds > 0) options.setExpiresInSeconds(expiresInSeconds);
    return signer.generateToken(claims, options);
  }

  private RawWireClient wire() throws IOException {
    RawWireClient wire = new RawWireClient(bridgePort, 0);
    wires.add(wire);
    return wire;
  }

  private static JsonObject err(String reason) {
    return new JsonObject().put("type", "err").put("body", reason);
  }
}
