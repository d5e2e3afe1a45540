/* The comparator of scripts/bench-compare.sh: a blocking C client as most
 * programs use one, hiredis with one connection per thread. Each of THREADS
 * threads sends GETs of random keys "key:" + 12 digits below KEYSPACE (the
 * keys valkey-benchmark -r and valkey-cpp-perf use), one at a time, until
 * REQUESTS have been sent in all; prints the requests per second.
 *
 *   hiredis_get PORT THREADS REQUESTS KEYSPACE
 */
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int port;
static long per_thread;
static unsigned long long keyspace;

static void* run(void* arg) {
  /* xorshift per thread: rand() takes a lock shared by the threads */
  unsigned long long state = 0x9e3779b97f4a7c15ull ^ (unsigned long long)(uintptr_t)arg;
  redisContext* c = redisConnect("127.0.0.1", port);
  if (c == NULL || c->err) {
    fprintf(stderr, "hiredis_get: cannot connect to 127.0.0.1:%d\n", port);
    exit(1);
  }
  char key[32];
  for (long i = 0; i < per_thread; ++i) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    snprintf(key, sizeof key, "key:%012llu", state % keyspace);
    redisReply* r = redisCommand(c, "GET %s", key);
    if (r == NULL) {
      fprintf(stderr, "hiredis_get: %s\n", c->errstr);
      exit(1);
    }
    freeReplyObject(r);
  }
  redisFree(c);
  return NULL;
}

int main(int argc, char** argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: hiredis_get PORT THREADS REQUESTS KEYSPACE\n");
    return 2;
  }
  port = atoi(argv[1]);
  const int threads = atoi(argv[2]);
  per_thread = atol(argv[3]) / threads;
  keyspace = strtoull(argv[4], NULL, 10);
  if (threads < 1 || threads > 64 || per_thread < 1 || keyspace < 1) {
    fprintf(stderr, "hiredis_get: 1-64 threads, at least one request per thread, a keyspace of 1 or more\n");
    return 2;
  }
  pthread_t t[64];
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (int i = 0; i < threads; ++i) pthread_create(&t[i], NULL, run, (void*)(uintptr_t)(i + 1));
  for (int i = 0; i < threads; ++i) pthread_join(t[i], NULL);
  clock_gettime(CLOCK_MONOTONIC, &b);
  const double seconds = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
  printf("%.1f\n", (double)(per_thread * threads) / seconds);
  return 0;
}
