package io.livegate.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

/** How a node words what Hazelcast says about members that go. */
class NodeLogTest {

  @Test
  void aMemberSuspectedToBeDeadIsAFactAtInfoNotAWarning() {
    LogRecord record = new LogRecord(Level.WARNING, "[127.0.0.1]:5701 [livegate] [5.3.8] Member [127.0.0.1]:5702 - "
        + "0d88556c-f275-4eb2-ab0c-a309a82e1f6d is suspected to be dead for reason: No connection");
    assertTrue(NodeLog.suspicionAsFact(record));
    assertEquals(Level.INFO, record.getLevel());
    assertEquals("member [127.0.0.1]:5702 - 0d88556c-f275-4eb2-ab0c-a309a82e1f6d no longer answers (No connection): it "
        + "left or died; the membership line says when it is gone", record.getMessage());

    LogRecord other = new LogRecord(Level.WARNING, "something else entirely");
    assertTrue(NodeLog.suspicionAsFact(other));
    assertEquals(Level.WARNING, other.getLevel(), "other warnings of the membership stay warnings");
  }
}
