package io.livegate.core;

/** The headers of history and recovery, in the words of the contract (README, "History and recovery"). */
public final class HistoryHeaders {
  /** On a {@code rec} frame of a kept address: the publication's number in its history, a decimal string. */
  public static final String OFFSET = "offset";
  /** On a {@code rec} frame of a kept address: the history's epoch; it changes only when the history starts over. */
  public static final String EPOCH = "epoch";
  /** On a {@code register} frame: the last offset the client has; it gets every publication after it first. */
  public static final String SINCE = "since";
  /** On the marker frame after a register with {@link #SINCE}: {@code "true"} or {@code "false"}. */
  public static final String RECOVERED = "recovered";
  /** On a {@code recovered: "true"} marker: how many publications were sent again. */
  public static final String REPLAYED = "replayed";
  /** On a send to {@link Addresses#PUBLISH}: the address to publish on. */
  public static final String ADDRESS = "address";

  /** The longest epoch a client may send back; ours are much shorter. */
  public static final int MAX_EPOCH_LENGTH = 64;

  private HistoryHeaders() {}
}
