package io.livegate.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A small line chart as SVG: linear x, linear or log10 y, points joined per series, a legend. */
final class SvgChart {
  private static final int W = 980;
  private static final int H = 500;
  private static final int LEFT = 70;
  private static final int RIGHT = 350;
  private static final int TOP = 50;
  private static final int BOTTOM = 60;
  static final String[] COLORS = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"};
  static final String[] DASHES = {"", "6,4", "2,3", "10,3,2,3"};

  record Series(String name, List<double[]> points, String color, String dash) {}

  private final String title;
  private final String xLabel;
  private final String yLabel;
  private final boolean logY;
  private final List<Series> series = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();

  SvgChart(String title, String xLabel, String yLabel, boolean logY) {
    this.title = title;
    this.xLabel = xLabel;
    this.yLabel = yLabel;
    this.logY = logY;
  }

  SvgChart add(String name, List<double[]> points, String color, String dash) {
    // In the given order: a rate ladder past its ceiling delivers less, and its line should turn back.
    List<double[]> kept = points.stream().filter(p -> !logY || p[1] > 0).toList();
    if (!kept.isEmpty()) series.add(new Series(name, kept, color, dash));
    return this;
  }

  SvgChart note(String text) {
    notes.add(text);
    return this;
  }

  boolean isEmpty() {
    return series.isEmpty();
  }

  String render() {
    double xMax = 0;
    double yMin = Double.MAX_VALUE;
    double yMax = 0;
    for (Series s : series) {
      for (double[] p : s.points) {
        xMax = Math.max(xMax, p[0]);
        yMin = Math.min(yMin, p[1]);
        yMax = Math.max(yMax, p[1]);
      }
    }
    xMax = niceCeil(xMax <= 0 ? 1 : xMax);
    double lo;
    double hi;
    if (logY) {
      lo = Math.pow(10, Math.floor(Math.log10(Math.max(yMin, 1e-3))));
      hi = Math.pow(10, Math.ceil(Math.log10(Math.max(yMax, lo * 10))));
    } else {
      lo = 0;
      hi = niceCeil(yMax <= 0 ? 1 : yMax);
    }
    StringBuilder svg = new StringBuilder();
    svg.append(f("<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' viewBox='0 0 %d %d' "
        + "font-family='sans-serif' font-size='12'>\n", W, H, W, H));
    svg.append(f("<rect width='%d' height='%d' fill='white'/>\n", W, H));
    svg.append(f("<text x='%d' y='24' font-size='15' font-weight='bold'>%s</text>\n", LEFT, esc(title)));
    int pw = W - LEFT - RIGHT;
    int ph = H - TOP - BOTTOM;
    // grid and ticks
    for (int i = 0; i <= 5; i++) {
      double xv = xMax * i / 5;
      double x = LEFT + pw * i / 5.0;
      svg.append(f("<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#ddd'/>\n", x, TOP, x, TOP + ph));
      svg.append(f("<text x='%.1f' y='%d' text-anchor='middle'>%s</text>\n", x, TOP + ph + 18, num(xv)));
    }
    List<Double> yTicks = new ArrayList<>();
    if (logY) {
      for (double v = lo; v <= hi * 1.0001; v *= 10) yTicks.add(v);
    } else {
      for (int i = 0; i <= 5; i++) yTicks.add(hi * i / 5);
    }
    for (double v : yTicks) {
      double y = yPos(v, lo, hi, ph);
      svg.append(f("<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='#ddd'/>\n", LEFT, y, LEFT + pw, y));
      svg.append(f("<text x='%d' y='%.1f' text-anchor='end'>%s</text>\n", LEFT - 6, y + 4, num(v)));
    }
    svg.append(f("<rect x='%d' y='%d' width='%d' height='%d' fill='none' stroke='#444'/>\n", LEFT, TOP, pw, ph));
    svg.append(f("<text x='%d' y='%d' text-anchor='middle'>%s</text>\n", LEFT + pw / 2, H - 22, esc(xLabel)));
    svg.append(f("<text transform='translate(18,%d) rotate(-90)' text-anchor='middle'>%s</text>\n", TOP + ph / 2,
        esc(yLabel + (logY ? " (log scale)" : ""))));
    // series
    int row = 0;
    for (Series s : series) {
      StringBuilder path = new StringBuilder();
      for (double[] p : s.points) {
        double x = LEFT + pw * p[0] / xMax;
        double y = yPos(p[1], lo, hi, ph);
        path.append(path.length() == 0 ? "M" : " L").append(f("%.1f,%.1f", x, y));
        svg.append(f("<circle cx='%.1f' cy='%.1f' r='3' fill='%s'/>\n", x, y, s.color));
      }
      svg.append(f("<path d='%s' fill='none' stroke='%s' stroke-width='2'%s/>\n", path, s.color,
          s.dash.isEmpty() ? "" : " stroke-dasharray='" + s.dash + "'"));
      int ly = TOP + 10 + 18 * row++;
      svg.append(f("<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='%s' stroke-width='2'%s/>\n", W - RIGHT + 12, ly,
          W - RIGHT + 40, ly, s.color, s.dash.isEmpty() ? "" : " stroke-dasharray='" + s.dash + "'"));
      svg.append(f("<text x='%d' y='%d'>%s</text>\n", W - RIGHT + 46, ly + 4, esc(s.name)));
    }
    for (String n : notes) {
      svg.append(f("<text x='%d' y='%d' font-size='11' fill='#555'>%s</text>\n", W - RIGHT + 12, TOP + 14 + 18 * row++, esc(n)));
    }
    return svg.append("</svg>\n").toString();
  }

  private double yPos(double v, double lo, double hi, int ph) {
    double t = logY ? (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) : (v - lo) / (hi - lo);
    return TOP + ph * (1 - Math.max(0, Math.min(1, t)));
  }

  private static double niceCeil(double v) {
    double p = Math.pow(10, Math.floor(Math.log10(v)));
    for (double m : new double[] {1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10}) {
      if (m * p >= v) return m * p;
    }
    return 10 * p;
  }

  private static String num(double v) {
    if (v >= 1_000_000) return trim(v / 1_000_000) + "M";
    if (v >= 1000) return trim(v / 1000) + "k";
    if (v >= 1 || v == 0) return trim(v);
    return String.format(Locale.ROOT, "%s", v < 0.01 ? String.format(Locale.ROOT, "%.3f", v) : String.format(Locale.ROOT, "%.2f", v));
  }

  private static String trim(double v) {
    return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.1f", v);
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&apos;");
  }

  private static String f(String format, Object... args) {
    return String.format(Locale.ROOT, format, args);
  }
}
