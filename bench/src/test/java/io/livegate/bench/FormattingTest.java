package io.livegate.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/** The generator's arithmetic and formats: fast, no network, nothing timed. */
class FormattingTest {

  @Test
  void recFrameYieldsSeqAndSentWithoutParsing() {
    Buffer frame = Buffer.buffer("{\"type\":\"rec\",\"address\":\"public.bench.0\",\"body\":{\"seq\":42,\"sent\":123456789012345}}");
    assertEquals(42, FrameScan.seq(frame));
    assertEquals(123456789012345L, FrameScan.sent(frame));
    assertFalse(FrameScan.isError(frame));
  }

  @Test
  void probesAreNegativeAndStringBodiesAreFound() {
    assertEquals(-1, FrameScan.seq(Buffer.buffer("{\"body\":{\"seq\":-1,\"sent\":5}}")));
    assertEquals(7, FrameScan.seq(Buffer.buffer("{\"body\":\"{\\\"seq\\\":7,\\\"sent\\\":9}\"}")));
    assertEquals(9, FrameScan.sent(Buffer.buffer("{\"body\":\"{\\\"seq\\\":7,\\\"sent\\\":9}\"}")));
  }

  @Test
  void framesWithoutSeqAreNotDeliveriesAndErrorsAreSeen() {
    Buffer err = Buffer.buffer("{\"type\":\"err\",\"body\":\"access_denied\"}");
    assertEquals(FrameScan.NONE, FrameScan.seq(err));
    assertTrue(FrameScan.isError(err));
    assertEquals(FrameScan.NONE, FrameScan.seq(Buffer.buffer("{\"seq\":}")));
  }

  @Test
  void expectedCountsEveryMessageTimesItsSubscribers() {
    assertEquals(400_000, LoadGenerator.expected(new int[] {1000}, 0, 400));
    // channels 0,1,2 with 3, 2, 1 subscribers; messages 5..11 go to channels 2,0,1,2,0,1,2
    assertEquals(1 + 3 + 2 + 1 + 3 + 2 + 1, LoadGenerator.expected(new int[] {3, 2, 1}, 5, 7));
  }

  @Test
  void latencyFieldsAreMillisecondsFromMicroseconds() {
    Histogram h = new Histogram(ClientGroup.HIGHEST_US, 3);
    for (int i = 1; i <= 1000; i++) h.recordValue(i * 10L); // 10 µs .. 10 ms
    JsonObject o = Results.latencyFields(new JsonObject(), h);
    assertEquals(5.0, o.getDouble("p50_ms"), 0.01);
    assertEquals(9.9, o.getDouble("p99_ms"), 0.01);
    assertEquals(10.0, o.getDouble("max_ms"), 0.01);
    assertNull(Results.latencyFields(new JsonObject(), new Histogram(3)).getValue("p99_ms"));
  }

  @Test
  void memoryPerConnectionIsGrowthOverConnections() {
    Map<String, JsonObject> before = new LinkedHashMap<>();
    before.put("node1", new JsonObject().put("rss_kb", 100_000L).put("heap_kb", 20_000L));
    before.put("node2", new JsonObject().put("rss_kb", 100_000L).put("heap_kb", 20_000L));
    Map<String, JsonObject> after = new LinkedHashMap<>();
    after.put("node1", new JsonObject().put("rss_nogc_kb", 190_000L).put("rss_kb", 180_000L).put("heap_kb", 50_000L));
    after.put("node2", new JsonObject().put("rss_nogc_kb", 190_000L).put("rss_kb", 180_000L).put("heap_kb", 50_000L));
    JsonObject o = new JsonObject();
    Results.memoryFields(o, before, after, 20_000, 2);
    assertEquals(8192, o.getLong("rss_per_conn_bytes")); // 160,000 KiB over 20,000
    assertEquals(9216, o.getLong("rss_nogc_per_conn_bytes"));
    assertEquals(3072, o.getLong("heap_per_conn_bytes"));
    assertEquals(100_000L, o.getJsonObject("rss_before_kb").getLong("node1"));
  }

  @Test
  void heapInfoOfEachCollectorIsSummed() {
    assertEquals(21504L, ProcStats.parseHeapUsedKb("""
        123:
         garbage-first heap   total 262144K, used 21504K [0x00000000c0000000, 0x0000000100000000)
          region size 1024K, 2 young (2048K), 0 survivors (0K)
         Metaspace       used 40367K, committed 40960K, reserved 1114112K
          class space    used 5000K, committed 5248K, reserved 1048576K
        """));
    assertEquals(3932L + 11385L, ProcStats.parseHeapUsedKb("""
         PSYoungGen      total 76288K, used 3932K [0x0000000780000000, 0x0000000785500000, 0x00000007c0000000)
          eden space 65536K, 6% used [0x0000000780000000,0x00000007803d7020,0x0000000784000000)
         ParOldGen       total 175104K, used 11385K [0x0000000700000000, 0x000000070ab00000, 0x0000000780000000)
         Metaspace       used 40367K, committed 40960K, reserved 1114112K
        """));
  }
}
