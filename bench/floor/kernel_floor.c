/*
 * The machine's floor for the (a) shape: what 1,000 loopback TCP deliveries per message cost with no JVM, no
 * WebSocket and no JSON, only write(2), epoll_wait(2) and read(2).
 *
 * W writer threads (a node's event loop each) write one 150-byte frame, stamped with the round's start, to their
 * share of N connected loopback sockets, 20 rounds a second for 20 s; R reader threads (the generator's event
 * loops) epoll those sockets' other ends and record, per frame, the time from the round's start to its read. The
 * writers' cost includes the loopback receive path, which the kernel runs in the sender's context.
 *
 * Prints one JSON line: the latency percentiles and each thread's CPU per delivery.
 *   kernel_floor [clients=1000] [writers=2] [readers=2] [rounds=400] [period_ms=50]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FRAME 150
#define MAX_THREADS 16

static int clients = 1000, writers = 2, readers = 2, rounds = 400, period_ms = 50;
static int *server_end, *client_end;
static long *latency_ns;
static long recorded;
static volatile int finished;
static double writer_cpu[MAX_THREADS], reader_cpu[MAX_THREADS];

static long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000L + t.tv_nsec;
}

static double thread_cpu_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static void *writer(void *arg) {
  long id = (long) arg;
  char frame[FRAME];
  memset(frame, 'x', sizeof frame);
  for (int round = 0; round < rounds; round++) {
    long start = now_ns();
    memcpy(frame, &start, sizeof start);
    for (int i = id; i < clients; i += writers) {
      if (write(server_end[i], frame, FRAME) != FRAME) { perror("write"); exit(1); }
    }
    long next = start + period_ms * 1000000L;
    for (long left = next - now_ns(); left > 0; left = next - now_ns()) {
      struct timespec pause = {left / 1000000000L, left % 1000000000L};
      nanosleep(&pause, NULL);
    }
  }
  writer_cpu[id] = thread_cpu_s();
  return NULL;
}

static void *reader(void *arg) {
  long id = (long) arg;
  int ep = epoll_create1(0);
  for (int i = id; i < clients; i += readers) {
    struct epoll_event e = {.events = EPOLLIN, .data.fd = client_end[i]};
    epoll_ctl(ep, EPOLL_CTL_ADD, client_end[i], &e);
  }
  struct epoll_event ready[512];
  char frame[FRAME];
  while (!finished) {
    int n = epoll_wait(ep, ready, 512, 100);
    for (int k = 0; k < n; k++) {
      // One whole frame per wake-up, however TCP split it; epoll is level-triggered and reports the next one.
      if (recv(ready[k].data.fd, frame, FRAME, MSG_WAITALL) != FRAME) continue;
      long start;
      memcpy(&start, frame, sizeof start);
      latency_ns[__sync_fetch_and_add(&recorded, 1)] = now_ns() - start;
    }
  }
  reader_cpu[id] = thread_cpu_s();
  return NULL;
}

static int by_value(const void *a, const void *b) {
  long x = *(const long *) a, y = *(const long *) b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc > 1) clients = atoi(argv[1]);
  if (argc > 2) writers = atoi(argv[2]);
  if (argc > 3) readers = atoi(argv[3]);
  if (argc > 4) rounds = atoi(argv[4]);
  if (argc > 5) period_ms = atoi(argv[5]);
  if (writers < 1 || writers > MAX_THREADS || readers < 1 || readers > MAX_THREADS || clients < 1 || rounds < 1) {
    fprintf(stderr, "usage: kernel_floor [clients] [writers 1-16] [readers 1-16] [rounds] [period_ms]\n");
    return 2;
  }
  server_end = calloc(clients, sizeof(int));
  client_end = calloc(clients, sizeof(int));
  latency_ns = calloc((size_t) clients * rounds, sizeof(long));

  int listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t length = sizeof address;
  if (bind(listener, (struct sockaddr *) &address, length) || listen(listener, 4096)
      || getsockname(listener, (struct sockaddr *) &address, &length)) { perror("listen"); return 1; }
  int on = 1;
  for (int i = 0; i < clients; i++) {
    client_end[i] = socket(AF_INET, SOCK_STREAM, 0);
    if (client_end[i] < 0 || connect(client_end[i], (struct sockaddr *) &address, sizeof address)) {
      perror("connect (raise ulimit -n?)");
      return 1;
    }
    server_end[i] = accept(listener, NULL, NULL);
    setsockopt(server_end[i], IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    setsockopt(client_end[i], IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  }

  pthread_t reader_threads[MAX_THREADS], writer_threads[MAX_THREADS];
  for (long i = 0; i < readers; i++) pthread_create(&reader_threads[i], NULL, reader, (void *) i);
  usleep(100000);
  for (long i = 0; i < writers; i++) pthread_create(&writer_threads[i], NULL, writer, (void *) i);
  for (int i = 0; i < writers; i++) pthread_join(writer_threads[i], NULL);
  usleep(300000);
  finished = 1;
  for (int i = 0; i < readers; i++) pthread_join(reader_threads[i], NULL);

  long n = recorded;
  qsort(latency_ns, n, sizeof(long), by_value);
  double written = 0, read = 0;
  for (int i = 0; i < writers; i++) written += writer_cpu[i];
  for (int i = 0; i < readers; i++) read += reader_cpu[i];
  double deliveries = (double) clients * rounds;
  printf("{\"tool\":\"kernel_floor\",\"clients\":%d,\"writers\":%d,\"readers\":%d,\"rate\":%d,\"duration_s\":%d,"
         "\"expected\":%.0f,\"delivered\":%ld,\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,"
         "\"max_ms\":%.3f,\"write_cpu_us_per_delivery\":%.2f,\"read_cpu_us_per_delivery\":%.2f}\n",
         clients, writers, readers, 1000 / period_ms, rounds * period_ms / 1000, deliveries, n,
         latency_ns[n / 2] / 1e6, latency_ns[n * 9 / 10] / 1e6, latency_ns[n * 99 / 100] / 1e6,
         latency_ns[n * 999 / 1000] / 1e6, latency_ns[n - 1] / 1e6, written * 1e6 / deliveries,
         read * 1e6 / deliveries);
  return n == (long) deliveries ? 0 : 1;
}
