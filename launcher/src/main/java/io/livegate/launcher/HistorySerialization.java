package io.livegate.launcher;

import com.hazelcast.nio.serialization.DataSerializableFactory;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

/**
 * The history's types in Hazelcast's own serialization: a factory id and a class id each, no Java serialization
 * (its class descriptors and reflection) per publication. Every data member registers it ({@link HazelcastSetup}).
 */
final class HistorySerialization implements DataSerializableFactory {
  /** "LG": unlikely to meet another library's factory in the same cluster. */
  static final int FACTORY_ID = 0x4C47;
  static final int ADDRESS_HISTORY = 1;
  static final int APPEND_ALL = 2;
  static final int READ = 3;
  static final int FOUND = 4;
  static final int COUNT = 5;

  /** One of the history's types: its factory is this one. */
  interface Type extends IdentifiedDataSerializable {
    @Override
    default int getFactoryId() {
      return FACTORY_ID;
    }
  }

  @Override
  public IdentifiedDataSerializable create(int typeId) {
    return switch (typeId) {
      case ADDRESS_HISTORY -> new AddressHistory();
      case APPEND_ALL -> new HazelcastHistory.AppendAll();
      case READ -> new HazelcastHistory.Read();
      case FOUND -> new HazelcastHistory.Found();
      case COUNT -> new HazelcastHistory.Count();
      default -> null;
    };
  }
}
