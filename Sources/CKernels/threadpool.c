/* threadpool.c - persistent pthread pool; the caller thread participates.
 *
 * Waiting is spin-then-sleep, bounded by time rather than by a poll count:
 * a futex wake-up costs tens of microseconds under a hypervisor, about what
 * a late ResNet conv takes, so workers spin (with pause) for
 * MODC_SPIN_NS after each job before sleeping on the condvar, and the
 * caller spins as long for the workers' last tasks.
 *
 * Tasks are claimed through one 64-bit word, job tag | task count | next
 * task, so a claim is valid only for the job it was read from, and the
 * caller waits for the job's tasks to finish, not for every worker to show
 * up: a worker that wakes late (descheduled, or asleep after a long serial
 * step) finds the job done and goes back to waiting, and a short job never
 * waits for it. */
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

/* Polls `*count` until it reaches `n` or the spin budget runs out; 1 if reached. */
static int spin_count(const atomic_int *count, int n) {
  long long deadline = mono_ns() + MODC_SPIN_NS;
  for (;;) {
    for (int i = 0; i < 64; i++) {
      if (atomic_load_explicit(count, memory_order_acquire) == n) return 1;
      cpu_relax();
    }
    if (mono_ns() > deadline) return 0;
  }
}

/* Claim word: tag (16 bits, the job's generation) | n (24) | next task (24). */
#define CLAIM_BITS 24
#define CLAIM_MASK ((1ull << CLAIM_BITS) - 1ull)
#define MODC_POOL_MAX_TASKS ((int)CLAIM_MASK)

struct modc_pool {
  int nthreads;
  pthread_t *threads;
  pthread_mutex_t mu;
  pthread_cond_t wake;  /* workers wait here for a new generation */
  pthread_cond_t done;  /* caller waits here for the job's tasks to finish */
  atomic_uint generation;
  _Atomic unsigned long long claim;
  atomic_int finished; /* tasks of the current job completed */
  int shutdown;
  /* Current job (written by the caller before publishing its claim word;
   * read by a worker only after it claimed a task of that job). */
  modc_task_fn fn;
  void *ctx;
  int base; /* task index offset of this job (jobs of more than MODC_POOL_MAX_TASKS) */
  int isa_cap; /* the publishing thread's ISA cap (modc_isa_cap_set), applied by workers */
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

/* Claims and runs tasks of the job currently published in `claim` until none
 * is left. The word names the job completely, so a successful claim always
 * refers to a task of the job whose fn/ctx are in place (a stale word fails
 * the compare-exchange, or equals the current job's word exactly). */
static void run_tasks(modc_pool *p, int thread) {
  unsigned long long c = atomic_load_explicit(&p->claim, memory_order_acquire);
  for (;;) {
    int n = (int)((c >> CLAIM_BITS) & CLAIM_MASK), t = (int)(c & CLAIM_MASK);
    if (t >= n) return;
    if (!atomic_compare_exchange_weak_explicit(&p->claim, &c, c + 1ull, memory_order_acq_rel,
                                               memory_order_acquire))
      continue;
    pf_claim(p, thread);
    if (thread != 0) modc_isa_cap_set(p->isa_cap);
    p->fn(p->ctx, p->base + t, thread);
    if (atomic_fetch_add_explicit(&p->finished, 1, memory_order_acq_rel) + 1 == n && thread != 0) {
      pthread_mutex_lock(&p->mu);
      pthread_cond_signal(&p->done);
      pthread_mutex_unlock(&p->mu);
    }
    c = atomic_load_explicit(&p->claim, memory_order_acquire);
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
  atomic_init(&p->claim, 0ull);
  atomic_init(&p->finished, 0);
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

/* One job of n <= MODC_POOL_MAX_TASKS tasks; task t runs as fn(ctx, base + t). */
static void run_job(modc_pool *p, int base, int n, modc_task_fn fn, void *ctx) {
  p->fn = fn;
  p->ctx = ctx;
  p->base = base;
  p->isa_cap = modc_isa_cap_get();
  atomic_store_explicit(&p->finished, 0, memory_order_relaxed);
  unsigned gen = atomic_load_explicit(&p->generation, memory_order_relaxed) + 1u;
  unsigned long long word = ((unsigned long long)(gen & 0xFFFFu) << (2 * CLAIM_BITS)) |
                            ((unsigned long long)n << CLAIM_BITS);
  atomic_store_explicit(&p->claim, word, memory_order_release);
  pthread_mutex_lock(&p->mu);
  atomic_store_explicit(&p->generation, gen, memory_order_release);
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->mu);
  run_tasks(p, 0);
  /* Wait for the tasks other threads claimed: spin briefly, then sleep. */
  if (spin_count(&p->finished, n)) return;
  pthread_mutex_lock(&p->mu);
  while (atomic_load_explicit(&p->finished, memory_order_acquire) != n)
    pthread_cond_wait(&p->done, &p->mu);
  pthread_mutex_unlock(&p->mu);
}

void modc_pool_parallel_for(modc_pool *p, int n, modc_task_fn fn, void *ctx) {
  if (n <= 0) return;
  if (!p || p->nthreads == 1 || n == 1) {
    if (p) pf_claim(p, 0);
    for (int i = 0; i < n; i++) fn(ctx, i, 0);
    return;
  }
  for (int base = 0; base < n; base += MODC_POOL_MAX_TASKS)
    run_job(p, base, n - base < MODC_POOL_MAX_TASKS ? n - base : MODC_POOL_MAX_TASKS, fn, ctx);
}
