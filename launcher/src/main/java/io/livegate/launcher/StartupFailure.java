package io.livegate.launcher;

/** A node could not start; the message is the one line the operator sees, with the exit code. */
public final class StartupFailure extends RuntimeException {
  /** Exit code for a mistake in the settings or a port in use. */
  public static final int USAGE = 2;
  /** Exit code for anything else (the cluster could not be joined, a role failed). */
  public static final int FAILED = 1;

  private final int exitCode;

  StartupFailure(String message, int exitCode, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  public int exitCode() {
    return exitCode;
  }
}
