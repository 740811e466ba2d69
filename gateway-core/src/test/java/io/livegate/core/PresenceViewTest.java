package io.livegate.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A node's copy of presence announces each change once, whatever order and repetition the cluster's events come in. */
class PresenceViewTest {
  private Vertx vertx;
  private PresenceView view;
  private final LinkedBlockingQueue<JsonObject> announced = new LinkedBlockingQueue<>();

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    view = new PresenceView(vertx.eventBus());
    vertx.eventBus().<JsonObject>consumer("presence.chat.a", m -> announced.add(m.body())).completion()
        .toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  @Test
  void anEntryArrivingTwiceOrLeavingTwiceIsAnnouncedOnce() throws Exception {
    PresenceView.Held ann = held("ann", "node-1", 1);
    view.arrived(ann);
    view.arrived(ann);
    view.arrived(held("ann", "node-2", 1)); // the same entry, under its node's new id after a merge
    view.left("chat.a", "ann");
    view.left("chat.a", "ann");
    view.arrived(held("zed", "node-1", 5)); // a marker: whatever was announced before it, arrives before it
    assertEquals(List.of("join ann 1", "leave ann 0", "join zed 1"), next(3));
    view.left("chat.a", "zed");
    assertEquals(0, view.size());
  }

  @Test
  void aNodeThatLeavesTakesItsEntriesAndNoOneElses() throws Exception {
    view.arrived(held("ann", "node-1", 1));
    view.arrived(held("bob", "node-2", 2));
    view.arrived(held("cy", "node-1", 3));
    next(3);
    view.leftNode("node-1");
    assertEquals(List.of("bob"), view.members("chat.a").stream().map(Presence.Member::id).toList());
    assertEquals(2, next(2).stream().filter(line -> line.startsWith("leave")).count());
  }

  @Test
  void replacingTheCopyAnnouncesOnlyWhatDiffers() throws Exception {
    view.arrived(held("ann", "node-1", 1));
    view.arrived(held("bob", "node-2", 2));
    next(2);
    view.replaceWith(List.of(held("bob", "node-2", 2), held("dee", "node-3", 4)));
    view.left("chat.a", "dee"); // a marker, as above
    assertEquals(List.of("leave ann 1", "join dee 2", "leave dee 1"), next(3));
    view.arrived(held("dee", "node-3", 4));
    assertEquals(List.of("bob", "dee"), view.members("chat.a").stream().map(Presence.Member::id).toList());
  }

  @Test
  void theListIsTheFirstToComeFirstAndIsMadeAgainOnlyAfterAChange() {
    view.arrived(held("late", "node-1", 9));
    view.arrived(held("early", "node-1", 1));
    List<Presence.Member> first = view.members("chat.a");
    assertEquals(List.of("early", "late"), first.stream().map(Presence.Member::id).toList());
    assertSame(first, view.members("chat.a"), "unchanged: the same list");
    view.left("chat.a", "late");
    assertEquals(List.of("early"), view.members("chat.a").stream().map(Presence.Member::id).toList());
  }

  private static PresenceView.Held held(String id, String node, long since) {
    return new PresenceView.Held("chat.a", new Presence.Member(id, id, null, since), node);
  }

  private List<String> next(int count) throws InterruptedException {
    List<String> lines = new java.util.ArrayList<>();
    for (int i = 0; i < count; i++) {
      JsonObject event = announced.poll(5, TimeUnit.SECONDS);
      if (event == null) throw new AssertionError("announced only " + lines);
      lines.add(event.getString("action") + " " + event.getJsonObject("member").getString("id") + " " + event.getInteger("count"));
    }
    return lines;
  }
}
