/* threadpool.c - persistent pthread pool; the caller thread participates.
 *
 * Waiting is spin-then-sleep, bounded by time rather than by a poll count:
 * a futex wake-up costs tens of microseconds under a hypervisor, about what
 * a late ResNet conv takes, so workers spin (with pause) for
 * MODC_SPIN_NS after each job before sleeping on the condvar, and the
 * caller spins as long for the workers' last tasks. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "modc_internal.h"

/* Spin budget before sleeping (nanoseconds). */
#define MODC_SPIN_NS 300000L

static long long mono_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static inline void cpu_relax(void) {
#if MODC_X86
  __builtin_ia32_pause();
#endif
}

/* Polls `*gen` until it differs from `seen` or the spin budget runs out. */
static unsigned spin_generation(const atomic_uint *gen, unsigned seen) {
  long long deadline = mono_ns() + MODC_SPIN_NS;
  for (;;) {
    for (int i = 0; i < 64; i++) {
      unsigned g = atomic_load_explicit(gen, memory_order_acquire);
      if (g != seen) return g;
      cpu_relax();
    }
    if (mono_ns() > deadline) return seen;
  }
}

/* Polls `*active` until zero or the spin budget runs out; 1 if zero. */
static int spin_idle(const atomic_int *active) {
  long long deadline = mono_ns() + MODC_SPIN_NS;
  for (;;) {
    for (int i = 0; i < 64; i++) {
      if (atomic_load_explicit(active, memory_order_acquire) == 0) return 1;
      cpu_relax();
    }
    if (mono_ns() > deadline) return 0;
  }
}

struct modc_pool {
  int nthreads;
  pthread_t *threads;
  pthread_mutex_t mu;
  pthread_cond_t wake;  /* workers wait here for a new generation */
  pthread_cond_t done;  /* caller waits here for the workers to finish */
  atomic_uint generation;
  atomic_int next_task;
  atomic_int active; /* workers still inside the current job */
  int shutdown;
  /* Current job (written by the caller before bumping generation). */
  int n;
  modc_task_fn fn;
  void *ctx;
  /* Prefetch region (modc_pool_prefetch); pf_gen changes with every region. */
  const char *pf_addr;
  size_t pf_bytes;
  unsigned pf_gen;
};

_Thread_local modc_pf_cursor modc_pf_tls;
static atomic_uint pf_generations;

/* Points this thread's cursor at its share of the pool's current region,
 * once per region (a step may run several parallel_for jobs). */
static void pf_claim(const modc_pool *p, int thread) {
  if (modc_pf_tls.gen == p->pf_gen) return;
  modc_pf_tls.gen = p->pf_gen;
  modc_pf_tls.cur = modc_pf_tls.end = NULL;
  if (!p->pf_addr || p->pf_bytes == 0) return;
  size_t lo = p->pf_bytes * (size_t)thread / (size_t)p->nthreads;
  size_t hi = p->pf_bytes * (size_t)(thread + 1) / (size_t)p->nthreads;
  modc_pf_tls.cur = p->pf_addr + lo;
  modc_pf_tls.end = p->pf_addr + hi;
}

void modc_pool_prefetch(modc_pool *p, const void *addr, size_t bytes) {
  if (!addr) bytes = 0;
  unsigned gen = atomic_fetch_add_explicit(&pf_generations, 1u, memory_order_relaxed) + 1u;
  if (!p) {
    modc_pf_tls.cur = (const char *)addr;
    modc_pf_tls.end = addr ? (const char *)addr + bytes : NULL;
    modc_pf_tls.gen = gen;
    return;
  }
  p->pf_addr = (const char *)addr;
  p->pf_bytes = bytes;
  p->pf_gen = gen;
}

typedef struct {
  modc_pool *pool;
  int index;
} worker_arg;

static void run_tasks(modc_pool *p, int thread) {
  pf_claim(p, thread);
  for (;;) {
    int t = atomic_fetch_add_explicit(&p->next_task, 1, memory_order_relaxed);
    if (t >= p->n) break;
    p->fn(p->ctx, t, thread);
  }
}

static void *worker_main(void *raw) {
  worker_arg arg = *(worker_arg *)raw;
  free(raw);
  modc_pool *p = arg.pool;
  unsigned seen = 0;
  for (;;) {
    unsigned gen = spin_generation(&p->generation, seen);
    if (gen == seen) {
      pthread_mutex_lock(&p->mu);
      while ((gen = atomic_load_explicit(&p->generation, memory_order_acquire)) == seen &&
             !p->shutdown)
        pthread_cond_wait(&p->wake, &p->mu);
      pthread_mutex_unlock(&p->mu);
    }
    if (gen == seen) return NULL; /* shutdown */
    seen = gen;
    if (p->shutdown) return NULL;
    run_tasks(p, arg.index);
    if (atomic_fetch_sub_explicit(&p->active, 1, memory_order_acq_rel) == 1) {
      pthread_mutex_lock(&p->mu);
      pthread_cond_signal(&p->done);
      pthread_mutex_unlock(&p->mu);
    }
  }
}

modc_pool *modc_pool_create(int nthreads) {
  if (nthreads < 1) nthreads = 1;
  modc_pool *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->nthreads = nthreads;
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->wake, NULL);
  pthread_cond_init(&p->done, NULL);
  atomic_init(&p->generation, 0u);
  atomic_init(&p->next_task, 0);
  atomic_init(&p->active, 0);
  if (nthreads > 1) {
    p->threads = calloc((size_t)nthreads - 1, sizeof *p->threads);
    if (!p->threads) {
      modc_pool_destroy(p);
      return NULL;
    }
    for (int i = 1; i < nthreads; i++) {
      worker_arg *a = malloc(sizeof *a);
      if (!a) {
        p->nthreads = i;
        modc_pool_destroy(p);
        return NULL;
      }
      a->pool = p;
      a->index = i;
      if (pthread_create(&p->threads[i - 1], NULL, worker_main, a) != 0) {
        free(a);
        p->nthreads = i;
        modc_pool_destroy(p);
        return NULL;
      }
    }
  }
  return p;
}

void modc_pool_destroy(modc_pool *p) {
  if (!p) return;
  pthread_mutex_lock(&p->mu);
  p->shutdown = 1;
  atomic_fetch_add_explicit(&p->generation, 1u, memory_order_release);
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->mu);
  if (p->threads)
    for (int i = 1; i < p->nthreads; i++) pthread_join(p->threads[i - 1], NULL);
  free(p->threads);
  pthread_cond_destroy(&p->wake);
  pthread_cond_destroy(&p->done);
  pthread_mutex_destroy(&p->mu);
  free(p);
}

int modc_pool_nthreads(const modc_pool *p) { return p ? p->nthreads : 1; }

void modc_pool_parallel_for(modc_pool *p, int n, modc_task_fn fn, void *ctx) {
  if (n <= 0) return;
  if (!p || p->nthreads == 1 || n == 1) {
    if (p) pf_claim(p, 0);
    for (int i = 0; i < n; i++) fn(ctx, i, 0);
    return;
  }
  p->n = n;
  p->fn = fn;
  p->ctx = ctx;
  atomic_store_explicit(&p->next_task, 0, memory_order_relaxed);
  atomic_store_explicit(&p->active, p->nthreads - 1, memory_order_relaxed);
  pthread_mutex_lock(&p->mu);
  atomic_fetch_add_explicit(&p->generation, 1u, memory_order_release);
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->mu);
  run_tasks(p, 0);
  /* Wait for the workers: spin briefly, then sleep. */
  if (spin_idle(&p->active)) return;
  pthread_mutex_lock(&p->mu);
  while (atomic_load_explicit(&p->active, memory_order_acquire) != 0)
    pthread_cond_wait(&p->done, &p->mu);
  pthread_mutex_unlock(&p->mu);
}
