package io.livegate.launcher;

import static io.livegate.testing.Await.eventually;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/** A backend service that joins as a data member, not a lite one, is told about in the nodes' log. */
class ForeignMemberTest {
  private static final Logger VIEW_LOG = Logger.getLogger(HazelcastClusterView.class.getName());

  @Test
  void aDataMemberThatIsNotALivegateNodeIsWarnedAboutAndALiteOneIsNot() throws Exception {
    List<String> warnings = new CopyOnWriteArrayList<>();
    Handler capture = new Handler() {
      @Override public void publish(LogRecord record) {
        if (record.getLevel().intValue() >= Level.WARNING.intValue()) warnings.add(record.getMessage());
      }
      @Override public void flush() {}
      @Override public void close() {}
    };
    VIEW_LOG.addHandler(capture);
    try (TestCluster cluster = new TestCluster()) {
      GatewayNode node = cluster.start("bridge,rest");
      TestCluster.Service lite = TestCluster.joinService(node, true);
      TestCluster.Service data = TestCluster.joinService(node, false);
      try {
        eventually("a warning about the data member", 10,
            () -> warnings.stream().anyMatch(w -> w.contains("joined as a data member")));
        assertTrue(warnings.stream().filter(w -> w.contains("joined as a data member")).count() == 1,
            "the lite member is not warned about: " + warnings);
      } finally {
        data.close();
        lite.close();
      }
    } finally {
      VIEW_LOG.removeHandler(capture);
    }
  }
}
