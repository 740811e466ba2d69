package io.livegate.launcher;

import static io.livegate.testing.Await.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.config.MapConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import com.hazelcast.partition.PartitionService;
import java.io.Serializable;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An entry processor on many keys, one call per partition, on two members on loopback: every key's result comes back,
 * each call carries the keys of one partition only, what the processor did reaches the backups (the map is as it
 * left it after the member with the primary copies is killed), and a processor that throws fails the whole.
 */
class KeysByPartitionTest {
  private static final String MAP = "keys-by-partition";
  private static final int KEYS = 3_000;
  private final LoopbackMembers members =
      new LoopbackMembers(2, config -> config.addMapConfig(new MapConfig(MAP).setBackupCount(1)));

  @AfterEach
  void stop() {
    members.close();
  }

  @Test
  void everyKeyOnceEachCallOnePartitionAndTheBackupsHaveIt() throws Exception {
    HazelcastInstance first = members.start(0);
    HazelcastInstance second = members.start(1);
    IMap<String, String> map = first.getMap(MAP);
    Map<String, String> values = new HashMap<>();
    for (int i = 0; i < KEYS; i++) values.put("k" + i, "v".repeat(1 + i % 7));
    map.putAll(values);
    List<Set<String>> calls = new CopyOnWriteArrayList<>();

    Map<String, Integer> results = KeysByPartition.submitToKeys(recording(map, calls), first.getPartitionService(),
        values.keySet(), new RemoveAndMeasure()).toCompletableFuture().get(20, TimeUnit.SECONDS);

    assertEquals(KEYS, results.size());
    values.forEach((key, value) -> assertEquals(value.length(), results.get(key), key));
    PartitionService partitions = first.getPartitionService();
    Set<String> called = new HashSet<>();
    Set<Integer> partitionsCalled = new HashSet<>();
    for (Set<String> call : calls) {
      Set<Integer> ofCall = new HashSet<>();
      for (String key : call) ofCall.add(partitions.getPartition(key).getPartitionId());
      assertEquals(1, ofCall.size(), "one call, one partition: " + ofCall);
      assertTrue(partitionsCalled.addAll(ofCall), "one call per partition");
      called.addAll(call);
    }
    assertEquals(values.keySet(), called);
    assertEquals(0, map.size());
    IMap<String, String> onSecond = second.getMap(MAP);
    eventually("the backups on the second member removed too", 10, () ->
        onSecond.getLocalMapStats().getBackupEntryCount() == 0 && map.getLocalMapStats().getBackupEntryCount() == 0);
    first.getLifecycleService().terminate(); // kill: the second's backups become the primary copies
    assertEquals(0, onSecond.size());
  }

  @Test
  void noKeysNoCall() throws Exception {
    HazelcastInstance member = members.start(0);
    List<Set<String>> calls = new CopyOnWriteArrayList<>();
    Map<String, Integer> results = KeysByPartition.submitToKeys(recording(member.<String, String>getMap(MAP), calls),
        member.getPartitionService(), Set.of(), new RemoveAndMeasure()).toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertTrue(results.isEmpty());
    assertTrue(calls.isEmpty());
  }

  @Test
  void aProcessorThatThrowsFailsTheWhole() throws Exception {
    HazelcastInstance member = members.start(0);
    IMap<String, String> map = member.getMap(MAP);
    Set<String> keys = new HashSet<>();
    for (int i = 0; i < 100; i++) keys.add("k" + i);
    for (String key : keys) map.put(key, key.equals("k42") ? "refuse" : "fine");
    ExecutionException failed = assertThrows(ExecutionException.class, () -> KeysByPartition.submitToKeys(map,
        member.getPartitionService(), keys, new RemoveAndMeasure()).toCompletableFuture().get(10, TimeUnit.SECONDS));
    assertInstanceOf(IllegalStateException.class, failed.getCause(), String.valueOf(failed.getCause()));
    assertTrue(map.containsKey("k42"));
    assertFalse(map.isEmpty());
  }

  /** The map, recording the keys of every {@code submitToKeys} call. */
  @SuppressWarnings("unchecked")
  private static IMap<String, String> recording(IMap<String, String> map, List<Set<String>> calls) {
    return (IMap<String, String>) Proxy.newProxyInstance(IMap.class.getClassLoader(), new Class<?>[] {IMap.class},
        (proxy, method, args) -> {
          if (method.getName().equals("submitToKeys")) calls.add(new HashSet<>((Set<String>) args[0]));
          try {
            return method.invoke(map, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  /** Removes the entry and answers its value's length; refuses the value {@code "refuse"}. */
  static final class RemoveAndMeasure implements EntryProcessor<String, String, Integer>, Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public Integer process(Map.Entry<String, String> entry) {
      String value = entry.getValue();
      if ("refuse".equals(value)) throw new IllegalStateException("refused " + entry.getKey());
      entry.setValue(null);
      return value == null ? -1 : value.length();
    }
  }
}
