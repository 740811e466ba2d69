package io.livegate.launcher;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.config.Config;
import com.hazelcast.core.LifecycleEvent;
import io.vertx.core.Completable;
import io.vertx.core.Vertx;
import io.vertx.core.spi.cluster.RegistrationInfo;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

/**
 * Vert.x's Hazelcast cluster manager, but this node's event-bus consumers reach the cluster's subscription map in
 * batches ({@link ClusterSubscriptions}) instead of one synchronous write at a time. Everything else, and the map's
 * contents, are Vert.x's own, so members running the stock cluster manager (backend services) route to them alike.
 * {@code ClusterSubscriptionsTest} fails if a Vert.x upgrade changes what this relies on: the map's name and the type
 * of its values.
 */
final class GatewayClusterManager extends HazelcastClusterManager {
  /** Vert.x's subscription map (vertx-hazelcast's {@code SubsMapHelper}). */
  static final String SUBSCRIPTIONS_MAP = "__vertx.subs";

  private Vertx vertx;
  private volatile ClusterSubscriptions subscriptions;

  GatewayClusterManager(Config config) {
    super(config);
    HazelcastAnswers.install(); // before the member starts: its callbacks on a pool, not a new thread each
  }

  @Override
  public void init(Vertx vertx) {
    super.init(vertx);
    this.vertx = vertx;
  }

  @Override
  public void join(Completable<Void> promise) {
    super.join((v, failure) -> {
      if (failure == null) {
        subscriptions = new ClusterSubscriptions(vertx, getHazelcastInstance().getMultiMap(SUBSCRIPTIONS_MAP));
      }
      promise.complete(v, failure);
    });
  }

  @Override
  public void addRegistration(String address, RegistrationInfo info, Completable<Void> promise) {
    ClusterSubscriptions batched = subscriptions;
    if (info.localOnly() || batched == null) {
      super.addRegistration(address, info, promise);
    } else {
      batched.add(address, info, promise);
    }
  }

  @Override
  public void removeRegistration(String address, RegistrationInfo info, Completable<Void> promise) {
    ClusterSubscriptions batched = subscriptions;
    if (info.localOnly() || batched == null) {
      super.removeRegistration(address, info, promise);
    } else {
      batched.remove(address, info, promise);
    }
  }

  /** A member left: Vert.x drops its subscriptions and writes its own again; so do we, ours. */
  @Override
  public synchronized void memberRemoved(MembershipEvent event) {
    super.memberRemoved(event);
    republish();
  }

  /** A split healed: the merged cluster may have lost what this side wrote meanwhile. */
  @Override
  public synchronized void stateChanged(LifecycleEvent event) {
    super.stateChanged(event);
    if (event.getState() == LifecycleEvent.LifecycleState.MERGED) republish();
  }

  /** Batches of subscription changes this node has written (additions and removals together). */
  long subscriptionBatches() {
    ClusterSubscriptions batched = subscriptions;
    return batched == null ? 0 : batched.batches();
  }

  /** Batches of additions sent again after the cluster refused them. */
  long subscriptionRetries() {
    ClusterSubscriptions batched = subscriptions;
    return batched == null ? 0 : batched.retries();
  }

  private void republish() {
    ClusterSubscriptions batched = subscriptions;
    if (batched != null && isActive()) batched.republish();
  }
}
