package io.livegate.launcher;

import java.util.Arrays;

/** Reads samples out of a {@code /metrics} answer (Prometheus text format). */
public final class PrometheusText {
  private PrometheusText() {}

  /** The sum of every sample of {@code name} whose labels include all of {@code labels}; 0 if none. */
  public static double value(String text, String name, String... labels) {
    return text.lines()
        .filter(line -> line.startsWith(name + "{") || line.startsWith(name + " "))
        .filter(line -> Arrays.stream(labels).allMatch(line::contains))
        .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
        .sum();
  }

  /** How much {@link #value} grew from {@code before} to {@code after}. */
  public static double delta(String before, String after, String name, String... labels) {
    return value(after, name, labels) - value(before, name, labels);
  }
}
