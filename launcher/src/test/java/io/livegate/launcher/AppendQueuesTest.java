package io.livegate.launcher;

import static io.livegate.testing.Await.await;
import static io.livegate.testing.Await.eventually;
import static io.livegate.testing.Await.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.livegate.core.PublicationHistory.Stamp;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The history's appends: one batch in flight per address, the rest batched in order, and a bound on what waits. */
class AppendQueuesTest {
  private Vertx vertx;
  private Context context;
  /** What the queues sent, in order, each with the answer the test gives it. */
  private final List<Sent> sent = new ArrayList<>();

  private record Sent(String address, List<AppendQueues.Pending> batch, CompletableFuture<String> answer) {
    List<String> bodies() {
      return batch.stream().map(AppendQueues.Pending::body).toList();
    }
  }

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
  }

  @AfterEach
  void stop() throws Exception {
    await(vertx.close(), 10);
  }

  private AppendQueues queues(int maxWaiting, long maxWaitingChars) {
    return new AppendQueues(vertx, (address, batch) -> {
      Sent one = new Sent(address, List.copyOf(batch), new CompletableFuture<>());
      synchronized (sent) {
        sent.add(one);
      }
      return one.answer;
    }, maxWaiting, maxWaitingChars);
  }

  @Test
  void aLoneAppendGoesAtOnceAndThoseAskedMeanwhileGoNextAsOneBatchInOrder() throws Exception {
    AppendQueues queues = queues(100, 1 << 20);
    List<Future<Stamp>> stamps = on(context, () -> List.of(
        queues.append("chat.a", 1, "\"a\"", null),
        queues.append("chat.a", 2, "\"b\"", "{\"h\":\"1\"}"),
        queues.append("chat.a", 3, "\"c\"", null),
        queues.append("chat.a", 4, "\"d\"", null)));
    assertEquals(1, sentCount(), "the first goes alone, the others wait for it");
    assertEquals(List.of("\"a\""), sent(0).bodies());
    assertEquals(3, queues.waiting());

    sent(0).answer.complete("1 ep");
    assertEquals(new Stamp(1, "ep"), await(stamps.get(0), 5));
    eventually("sentCount() == 2", 5, () -> sentCount() == 2);
    assertEquals(List.of("\"b\"", "\"c\"", "\"d\""), sent(1).bodies());
    assertEquals("{\"h\":\"1\"}", sent(1).batch.get(0).headers());
    sent(1).answer.complete("2 ep");
    assertEquals(new Stamp(2, "ep"), await(stamps.get(1), 5));
    assertEquals(new Stamp(3, "ep"), await(stamps.get(2), 5));
    assertEquals(new Stamp(4, "ep"), await(stamps.get(3), 5));
    assertEquals(2, queues.batches());
    assertEquals(0, queues.waiting());

    Future<Stamp> later = on(context, () -> queues.append("chat.a", 5, "\"e\"", null));
    assertEquals(3, sentCount(), "nothing in flight: the next goes at once");
    sent(2).answer.complete("5 ep");
    assertEquals(new Stamp(5, "ep"), await(later, 5));
  }

  @Test
  void eachAddressHasItsOwnBatchInFlight() throws Exception {
    AppendQueues queues = queues(100, 1 << 20);
    on(context, () -> List.of(queues.append("chat.a", 1, "1", null), queues.append("chat.b", 2, "2", null)));
    assertEquals(2, sentCount());
    assertEquals(List.of("chat.a", "chat.b"), List.of(sent(0).address, sent(1).address));
  }

  @Test
  void aFailedBatchFailsEachOfItsAppendsAndTheNextBatchStillGoes() throws Exception {
    AppendQueues queues = queues(100, 1 << 20);
    List<Future<Stamp>> stamps = on(context, () -> List.of(
        queues.append("chat.a", 1, "1", null), queues.append("chat.a", 2, "2", null),
        queues.append("chat.a", 3, "3", null)));
    sent(0).answer.completeExceptionally(new IllegalStateException("no owner"));
    assertInstanceOf(IllegalStateException.class, failure(stamps.get(0), 5));
    eventually("sentCount() == 2", 5, () -> sentCount() == 2);
    sent(1).answer.completeExceptionally(new IllegalStateException("still none"));
    assertEquals("still none", failure(stamps.get(1), 5).getMessage());
    assertEquals("still none", failure(stamps.get(2), 5).getMessage());
    eventually("queues.waiting() == 0", 5, () -> queues.waiting() == 0);
    Future<Stamp> after = on(context, () -> queues.append("chat.a", 4, "4", null));
    eventually("sentCount() == 3", 5, () -> sentCount() == 3);
    sent(2).answer.complete("7 ep");
    assertEquals(new Stamp(7, "ep"), await(after, 5));
  }

  @Test
  void beyondWhatMayWaitAnAppendFailsAtOnceAndIsNeverSent() throws Exception {
    AppendQueues queues = queues(2, 1 << 20);
    List<Future<Stamp>> stamps = on(context, () -> List.of(
        queues.append("chat.a", 1, "1", null), queues.append("chat.a", 2, "2", null),
        queues.append("chat.a", 3, "3", null), queues.append("chat.b", 4, "4", null),
        queues.append("chat.b", 5, "5", null)));
    assertTrue(stamps.get(3).succeeded() || !stamps.get(3).isComplete(), "another address with none in flight goes");
    assertInstanceOf(AppendQueues.Behind.class, failure(stamps.get(4), 5), "two wait already: the third is refused");
    sent(0).answer.complete("1 ep");
    eventually("sentCount() == 3", 5, () -> sentCount() == 3);
    assertEquals(List.of("2", "3"), sent(2).bodies());
    assertEquals(List.of("4"), sent(1).bodies(), "the refused one was never sent");
  }

  @Test
  void whatMayWaitIsBoundedInTextToo() throws Exception {
    AppendQueues queues = queues(100, 10);
    List<Future<Stamp>> stamps = on(context, () -> List.of(
        queues.append("chat.a", 1, "first", null), queues.append("chat.a", 2, "\"123456\"", null),
        queues.append("chat.a", 3, "\"123\"", null)));
    assertTrue(!stamps.get(1).failed(), "8 characters wait");
    assertInstanceOf(AppendQueues.Behind.class, failure(stamps.get(2), 5), "8 + 5 is beyond 10");
  }

  @Test
  void aBatchCarriesAtMostItsSizeAndTheRestGoNext() throws Exception {
    AppendQueues queues = queues(10_000, 1 << 24);
    int total = 1 + AppendQueues.MAX_BATCH + 10;
    List<Future<Stamp>> stamps = on(context, () -> {
      List<Future<Stamp>> all = new ArrayList<>();
      for (int i = 0; i < total; i++) all.add(queues.append("chat.a", i, "1", null));
      return all;
    });
    sent(0).answer.complete("1 ep");
    eventually("sentCount() == 2", 5, () -> sentCount() == 2);
    assertEquals(AppendQueues.MAX_BATCH, sent(1).batch.size());
    sent(1).answer.complete("2 ep");
    eventually("sentCount() == 3", 5, () -> sentCount() == 3);
    assertEquals(10, sent(2).batch.size());
    sent(2).answer.complete((2 + AppendQueues.MAX_BATCH) + " ep");
    for (int i = 0; i < total; i++) assertEquals(i + 1, await(stamps.get(i), 5).offset(), "append " + i);
  }

  @Test
  void aBatchCarriesAtMostItsTextButOneLargePublicationStillGoes() throws Exception {
    AppendQueues queues = queues(100, 1 << 24);
    String large = "\"" + "x".repeat((int) AppendQueues.MAX_BATCH_CHARS) + "\"";
    on(context, () -> List.of(queues.append("chat.a", 1, "1", null), queues.append("chat.a", 2, large, null),
        queues.append("chat.a", 3, "2", null)));
    sent(0).answer.complete("1 ep");
    eventually("sentCount() == 2", 5, () -> sentCount() == 2);
    assertEquals(1, sent(1).batch.size(), "alone beyond the batch's text");
    sent(1).answer.complete("2 ep");
    eventually("sentCount() == 3", 5, () -> sentCount() == 3);
    assertEquals(List.of("2"), sent(2).bodies());
  }

  @Test
  void aCallerWhoseHandlerThrowsDoesNotStopTheAddressesQueue() throws Exception {
    AppendQueues queues = queues(100, 1 << 20);
    vertx.exceptionHandler(e -> { }); // the handler's exception lands here, not in the test's log
    List<Future<Stamp>> stamps = on(context, () -> {
      Future<Stamp> first = queues.append("chat.a", 1, "1", null);
      first.onSuccess(stamp -> {
        throw new IllegalStateException("a caller's bug");
      });
      return List.of(first, queues.append("chat.a", 2, "2", null));
    });
    sent(0).answer.complete("1 ep");
    eventually("sentCount() == 2", 5, () -> sentCount() == 2);
    sent(1).answer.complete("2 ep");
    assertEquals(new Stamp(2, "ep"), await(stamps.get(1), 5));
  }

  @Test
  void eachCallerHearsOnItsOwnContext() throws Exception {
    AppendQueues queues = queues(100, 1 << 20);
    Context other = vertx.getOrCreateContext();
    Future<Stamp> first = on(context, () -> queues.append("chat.a", 1, "1", null));
    Future<Stamp> mine = on(context, () -> queues.append("chat.a", 2, "2", null));
    Future<Stamp> theirs = on(other, () -> queues.append("chat.a", 3, "3", null));
    sent(0).answer.complete("1 ep");
    eventually("sentCount() == 2", 5, () -> sentCount() == 2);
    CompletableFuture<Context> heardMine = new CompletableFuture<>();
    CompletableFuture<Context> heardTheirs = new CompletableFuture<>();
    mine.onComplete(r -> heardMine.complete(Vertx.currentContext()));
    theirs.onComplete(r -> heardTheirs.complete(Vertx.currentContext()));
    sent(1).answer.complete("2 ep");
    assertSame(context, heardMine.get(5, TimeUnit.SECONDS));
    assertSame(other, heardTheirs.get(5, TimeUnit.SECONDS));
    assertEquals(new Stamp(3, "ep"), await(theirs, 5));
    assertEquals(new Stamp(1, "ep"), await(first, 5));
  }

  @Test
  void theNextBatchDoesNotWaitForABusyCallersContext() throws Exception {
    AppendQueues queues = queues(100, 1 << 20);
    List<Future<Stamp>> stamps = on(context, () -> List.of(
        queues.append("chat.a", 1, "1", null), queues.append("chat.a", 2, "2", null)));
    CountDownLatch busy = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    context.runOnContext(v -> { // the caller's event loop, busy (say, writing to its sockets)
      busy.countDown();
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    try {
      assertTrue(busy.await(5, TimeUnit.SECONDS));
      sent(0).answer.complete("1 ep");
      eventually("the second batch is sent while the caller's context is busy", 5, () -> sentCount() == 2);
      assertEquals(List.of("2"), sent(1).bodies());
      assertFalse(stamps.get(0).isComplete(), "the caller hears on its own context, once it is free");
    } finally {
      release.countDown();
    }
    List<Integer> heard = new CopyOnWriteArrayList<>();
    stamps.get(0).onSuccess(s -> heard.add(1));
    stamps.get(1).onSuccess(s -> heard.add(2));
    sent(1).answer.complete("2 ep");
    assertEquals(new Stamp(1, "ep"), await(stamps.get(0), 5));
    assertEquals(new Stamp(2, "ep"), await(stamps.get(1), 5));
    assertEquals(List.of(1, 2), heard);
  }

  private <T> T on(Context on, Supplier<T> work) throws Exception {
    CompletableFuture<T> done = new CompletableFuture<>();
    on.runOnContext(v -> done.complete(work.get()));
    return done.get(5, TimeUnit.SECONDS);
  }

  private int sentCount() {
    synchronized (sent) {
      return sent.size();
    }
  }

  private Sent sent(int i) {
    synchronized (sent) {
      return sent.get(i);
    }
  }
}
