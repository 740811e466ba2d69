package io.livegate.examples.quote;

import static io.livegate.testing.Await.await;
import static io.livegate.testing.Await.failure;
import static io.livegate.testing.FreePorts.freePort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.config.Config;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The service in a real cluster of two in this JVM: a data member standing in for a node (it takes what a node's
 * {@code livegate.publish} would), and the service as a lite member, on loopback and free ports.
 */
class QuoteServiceTest {
  private final String cluster = "quote-test-" + UUID.randomUUID();
  private Vertx node;
  private Vertx service;
  private final LinkedBlockingQueue<Message<Object>> kept = new LinkedBlockingQueue<>();

  @BeforeEach
  void startClusterOfTwo() throws Exception {
    int nodePort = freePort();
    ServiceSettings nodeSide = ServiceSettings.parse(new String[] {"--cluster-name", cluster, "--cluster-port",
        String.valueOf(nodePort), "--members", "127.0.0.1:" + nodePort}, Map.of());
    Config data = QuoteService.hazelcastConfig(nodeSide).setLiteMember(false);
    node = await(Vertx.builder().with(new VertxOptions().setEventBusOptions(new EventBusOptions().setHost("127.0.0.1")))
        .withClusterManager(new HazelcastClusterManager(data)).buildClustered(), 60);
    await(node.eventBus().<Object>consumer(QuoteVerticle.KEPT_PUBLISH, message -> {
      kept.add(message);
      message.reply(new JsonObject().put("offset", "1"));
    }).completion(), 60);
    service = await(QuoteService.start(ServiceSettings.parse(new String[] {"--cluster-name", cluster, "--cluster-port",
        String.valueOf(freePort()), "--members", "127.0.0.1:" + nodePort}, Map.of())), 60);
  }

  @AfterEach
  void stop() throws Exception {
    if (service != null) await(service.close(), 60);
    if (node != null) await(node.close(), 60);
  }

  @Test
  void aQuoteRequestGetsAPriceAndABadOneAFailure400() throws Exception {
    JsonObject quote = (JsonObject) await(node.eventBus().request("svc.quote", new JsonObject().put("symbol", "acme")), 60)
        .body();
    assertEquals("ACME", quote.getString("symbol"));
    assertTrue(quote.getDouble("price") > 0, quote.encode());
    assertEquals("USD", quote.getString("currency"));
    for (Object bad : List.of(new JsonObject(), new JsonObject().put("symbol", "X".repeat(13)),
        new JsonObject().put("symbol", "<script>"), new JsonObject().put("symbol", 42), "ACME")) {
      Throwable refused = failure(node.eventBus().request("svc.quote", bad), 60);
      assertEquals(400, ((ReplyException) refused).failureCode(), String.valueOf(bad));
    }
  }

  @Test
  void aSupportLineGetsOneKeptAnswerOnChatSupportAndTheBotsOwnLinesNone() throws Exception {
    node.eventBus().publish("chat.support", new JsonObject().put("from", "quote-bot").put("text", "quote ACME"));
    node.eventBus().publish("chat.support", "not a chat line");
    node.eventBus().publish("chat.support", new JsonObject().put("from", "ann").put("text", "hi, quote acme please"));
    Message<Object> answer = kept.poll(10, TimeUnit.SECONDS);
    assertTrue(answer != null, "no answer on livegate.publish");
    assertEquals("chat.support", answer.headers().get("address"));
    JsonObject line = (JsonObject) answer.body();
    assertEquals("quote-bot", line.getString("from"));
    // The answer to ann's line, not to the bot's own (published first) nor to the string.
    assertTrue(line.getString("text").startsWith("ACME is at "), line.encode());
    node.eventBus().publish("chat.support", new JsonObject().put("from", "bob").put("text", "hello"));
    JsonObject next = (JsonObject) kept.poll(10, TimeUnit.SECONDS).body();
    assertTrue(next.getString("text").startsWith("Hello bob,"), next.encode());
  }

  @Test
  void aFloodOfSupportLinesGetsAtMostTenAnswersASecond() throws Exception {
    long start = System.nanoTime();
    for (int i = 0; i < 200; i++) {
      node.eventBus().publish("chat.support", new JsonObject().put("from", "flood").put("text", "line " + i));
    }
    // Counted until none has come for 3 s: the cap holds however long the answers take.
    int answers = 0;
    while (kept.poll(3, TimeUnit.SECONDS) != null) answers++;
    long seconds = 1 + TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
    assertTrue(answers >= 1 && answers <= QuoteVerticle.REPLIES_PER_SECOND * (seconds + 1),
        answers + " answers in about " + seconds + " s");
  }

  @Test
  void badSettingsAreOneLineEach() {
    for (String[] args : List.of(new String[] {"--cluster-port", "x"}, new String[] {"--members", ","},
        new String[] {"--nope", "1"}, new String[] {"--cluster-port", "70000"})) {
      IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
          () -> ServiceSettings.parse(args, Map.of()));
      assertTrue(!e.getMessage().contains("\n") && (e.getMessage().startsWith("--") || e.getMessage().startsWith("unknown option")), e.getMessage());
    }
    assertEquals("other", ServiceSettings.parse(new String[0], Map.of("CLUSTER_NAME", "other")).clusterName());
  }
}
