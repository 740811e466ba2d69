package io.livegate.launcher;

import com.hazelcast.internal.util.ConcurrencyUtil;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

/**
 * Where the node hears Hazelcast's asynchronous answers.
 *
 * <p>Hazelcast runs the callbacks of its futures on a default executor: its own internal steps (a {@code putAllAsync}
 * joining its partitions' answers, a {@code submitToKey} turning its answer into an object, a {@code submitToKeys}),
 * and every non-async callback a caller adds ({@code whenComplete}, Vert.x's {@code Future.fromCompletionStage}).
 * That executor is {@code ForkJoinPool.commonPool()} when the common pool has more than one thread; on two cores it
 * has one, and Hazelcast then <em>starts a new thread for every callback</em>: about 17 a second on a node publishing
 * 20 a second to a history address (the peers' (a)), 1,276 threads in 81 s of it. {@link #install} gives Hazelcast a
 * pool instead, of the same shape (a thread for each callback that waits, so none can starve another), whose
 * threads are kept a minute and reused. The executor is Hazelcast's static, so this is Hazelcast internal API
 * ({@code ConcurrencyUtil}), used here only; {@code HazelcastAnswersTest} fails if an upgrade changes it.
 *
 * <p>The node's own callbacks skip even that hop: {@link #whenDone} and {@link #on} run on the thread that completed
 * the future and only hand the result on (to a Vert.x context, or to the next batch).
 */
final class HazelcastAnswers {
  /** Runs the callback on the thread that completed the future. */
  static final Executor WHERE_ANSWERED = Runnable::run;
  /** Idle threads of the pool end after this. */
  static final long KEEP_ALIVE_S = 60;
  private static final ThreadPoolExecutor POOL = newPool();

  private HazelcastAnswers() {
  }

  /** Hazelcast's default executor becomes the node's pool (for every member in this JVM; repeating it is harmless). */
  static void install() {
    if (ConcurrencyUtil.getDefaultAsyncExecutor() != POOL) ConcurrencyUtil.setDefaultAsyncExecutor(POOL);
  }

  /** The pool Hazelcast's callbacks run on, once {@link #install}ed. */
  static Executor pool() {
    return POOL;
  }

  /** {@code action} on the answering thread: it must only hand the result on, never block. */
  static <T> void whenDone(CompletionStage<T> stage, BiConsumer<? super T, ? super Throwable> action) {
    stage.whenCompleteAsync(action, WHERE_ANSWERED);
  }

  /** The answer as a Vert.x future whose handlers run on {@code context}. */
  static <T> Future<T> on(Context context, CompletionStage<T> stage) {
    Promise<T> promise = Promise.promise();
    whenDone(stage, (value, failure) -> context.runOnContext(v -> {
      if (failure instanceof CompletionException wrapped && wrapped.getCause() != null) {
        promise.fail(wrapped.getCause());
      } else if (failure != null) {
        promise.fail(failure);
      } else {
        promise.complete(value);
      }
    }));
    return promise.future();
  }

  private static ThreadPoolExecutor newPool() {
    AtomicInteger count = new AtomicInteger();
    return new ThreadPoolExecutor(0, Integer.MAX_VALUE, KEEP_ALIVE_S, TimeUnit.SECONDS, new SynchronousQueue<>(), task -> {
      Thread thread = new Thread(task, "livegate-hz-answers-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
  }
}
