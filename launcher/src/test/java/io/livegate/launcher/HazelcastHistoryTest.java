package io.livegate.launcher;

import static io.livegate.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.hazelcast.core.HazelcastInstance;
import io.livegate.core.NodeConfig;
import io.livegate.core.PublicationHistory.Kept;
import io.livegate.core.PublicationHistory.Stamp;
import io.livegate.core.PublicationHistory.Window;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The history in Hazelcast, two members on loopback: appends asked for at once are numbered in the order asked, and
 * every publication, its body and headers, survives its partition moving to another member and the first member
 * leaving (the history's types cross the network in Hazelcast's own serialization).
 */
class HazelcastHistoryTest {
  private static final int ADDRESSES = 20;
  private static final int EACH = 50;
  private final Vertx vertx = Vertx.vertx();
  private final NodeConfig.History settings = NodeConfig.defaults().history();
  private final LoopbackMembers members = new LoopbackMembers(2,
      config -> HazelcastSetup.serialization(config.addMapConfig(HazelcastSetup.historyMap(settings))));

  @AfterEach
  void stop() throws Exception {
    members.close();
    await(vertx.close(), 10);
  }

  @Test
  void everyPublicationKeepsItsOffsetBodyAndHeadersWhenItsPartitionMovesAndItsFirstMemberLeaves() throws Exception {
    HazelcastInstance first = members.start(0);
    HazelcastHistory onFirst = new HazelcastHistory(vertx, first, settings, new SimpleMeterRegistry());

    Context context = vertx.getOrCreateContext();
    List<Future<Stamp>> stamps = on(context, () -> {
      List<Future<Stamp>> all = new ArrayList<>();
      for (int i = 1; i <= EACH; i++) {
        for (int a = 0; a < ADDRESSES; a++) {
          all.add(onFirst.append("chat.room" + a, new JsonObject().put("n", i).encode(),
              i % 2 == 0 ? new JsonObject().put("from", "u" + i) : null));
        }
      }
      return all;
    });
    String[] epochs = new String[ADDRESSES];
    for (int k = 0; k < stamps.size(); k++) {
      Stamp stamp = await(stamps.get(k), 20);
      assertEquals(k / ADDRESSES + 1, stamp.offset(), "in the order asked, address " + k % ADDRESSES);
      epochs[k % ADDRESSES] = stamp.epoch();
    }

    HazelcastInstance second = members.start(1);
    members.stop(first); // graceful: its partitions, primary copies included, move to the second
    HazelcastHistory onSecond = new HazelcastHistory(vertx, second, settings, new SimpleMeterRegistry());
    for (int a = 0; a < ADDRESSES; a++) {
      String address = "chat.room" + a;
      Window window = await(on(context, () -> onSecond.read(address, 0)), 20);
      assertEquals(epochs[a], window.epoch());
      assertEquals(EACH, window.newest());
      assertEquals(EACH, window.entries().size());
      for (int i = 1; i <= EACH; i++) {
        Kept kept = window.entries().get(i - 1);
        assertEquals(i, kept.offset());
        assertEquals(new JsonObject().put("n", i).encode(), kept.body());
        assertEquals(i % 2 == 0 ? new JsonObject().put("from", "u" + i) : null, kept.headers());
      }
    }
    Stamp next = await(on(context, () -> onSecond.append("chat.room0", "{}", null)), 20);
    assertEquals(new Stamp(EACH + 1, epochs[0]), next);
  }

  private static <T> T on(Context context, Supplier<T> work) throws Exception {
    CompletableFuture<T> done = new CompletableFuture<>();
    context.runOnContext(v -> done.complete(work.get()));
    return done.get(10, TimeUnit.SECONDS);
  }
}
