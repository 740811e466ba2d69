package io.livegate.testing;

import io.vertx.core.Future;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/** How a test waits: for a future's result, for a future's failure, or for a condition, each with a bound. */
public final class Await {
  /** What a test waits for when it does not say: long enough for a loaded 2-core machine, short for a hang. */
  public static final int DEFAULT_SECONDS = 5;

  private Await() {}

  /**
   * A future that failed or did not complete in time, where its result was awaited. An exception, not an assertion, so
   * that a test polling something that may not answer yet can catch it; uncaught, it fails the test like any other.
   */
  public static final class Failed extends RuntimeException {
    Failed(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** The result of {@code future} within {@link #DEFAULT_SECONDS}; {@link Failed} if it fails or is late. */
  public static <T> T await(Future<T> future) {
    return await(future, DEFAULT_SECONDS);
  }

  /** The result of {@code future} within {@code seconds}; {@link Failed} (its cause the future's) if it fails or is late. */
  public static <T> T await(Future<T> future, int seconds) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(seconds, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new Failed("failed: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new Failed("no result within " + seconds + " s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Failed("interrupted", e);
    }
  }

  /** Why {@code future} failed, within {@code seconds}; an {@link AssertionError} if it succeeds or is late. */
  public static Throwable failure(Future<?> future, int seconds) {
    try {
      Object result = future.toCompletionStage().toCompletableFuture().get(seconds, TimeUnit.SECONDS);
      throw new AssertionError("succeeded with " + result + " where a failure was expected");
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (TimeoutException e) {
      throw new AssertionError("no outcome within " + seconds + " s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** Polls {@code condition} every 20 ms until it holds; an {@link AssertionError} naming {@code what} after {@code seconds}. */
  public static void eventually(String what, int seconds, BooleanSupplier condition) {
    if (!within(seconds, condition)) throw new AssertionError(what + ": not within " + seconds + " s");
  }

  /** Polls {@code condition} every 20 ms for at most {@code seconds}: whether it held (for a test that goes on either way). */
  public static boolean within(int seconds, BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) return false;
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return condition.getAsBoolean();
      }
    }
    return true;
  }

  /** {@link #eventually} within {@link #DEFAULT_SECONDS}. */
  public static void waitUntil(BooleanSupplier condition) {
    eventually("condition", DEFAULT_SECONDS, condition);
  }
}
