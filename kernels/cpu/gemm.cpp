// GEMM driver: cache blocking, B-slab packing, the OpenMP work split and ISA dispatch for
// sgemm/dgemm. The micro-kernels and packing routines live in gemm_<isa>.cpp.
//
// Loops (GotoBLAS/BLIS style, around a register-blocked micro-kernel):
//
//   for jc in N by NC, ks in K by KS:    B slab K x nc (all of K when it fits 16 MiB), packed
//     pack B[ks:+KS, jc:+nc]             once per call into NR-column panels per KC block,
//                                        shared by the team (L3)
//     for each item (ic block of MC rows, chunk of the slab's panels):
//       for pc in the slab's K by KC:
//         pack A[ic:+mc, pc:+kc]         MR-row panels, private to the thread (L2)
//         for jr in the chunk by NR:     the kc x NR B micro-panel stays in L1
//           for ir in mc by MR:          A micro-panels stream from L2
//             C[ic+ir:+MR, jc+jr:+NR] = alpha * Apanel * Bpanel + (pc == 0 ? beta : 1) * C
//
// Packing copies A and B, whatever their strides, into contiguous k-major panels (MR resp. NR
// consecutive elements per k) with edges zero-padded, so the micro-kernel reads both operands
// with unit stride and never branches on shape. Only the first KC block applies the caller's
// beta; later ones accumulate, so beta == 0 never reads C.
//
// Micro-kernels keep an MR x NR tile of C in registers and do one rank-1 update per k:
//   AVX-512: 32x12 f32 / 16x12 f64 (2 zmm of A x 12 broadcasts of B = 24 accumulators);
//   AVX2:    16x6 f32 / 8x6 f64 (2 ymm x 6 = 12 accumulators);
//   portable: 8x4 f32 / 4x4 f64 plain C++ loops the compiler vectorises for the baseline ISA.
// Full tiles of column-contiguous C are updated in place with vector loads and stores; edges
// use masked vectors (AVX-512) or a register tile spilled to the stack and added element-wise.
//
// Blocking for Zen 4 (32 KiB L1d and 1 MiB L2 per core, 32 MiB shared L3), f32 AVX-512:
// KC = 384 keeps the 384 x 12 x 4 B = 18 KiB B micro-panel in L1 beside the streamed A;
// MC = 384 makes the A block 576 KiB, resident in L2 with room for the B and C traffic.
// A slab holds up to 16 MiB (NC <= 4080); only its current kc x nc block (at most 6 MiB) needs
// to stay in L3, and wide slabs keep A from being repacked for many column blocks. K and M
// are split into near-equal blocks (K = 400 runs as 2 x 200, not 384 + 16), so no thin
// remainder block wastes a pass. Each ISA file states its own sizes.
//
// A row-major C (csc == 1) is computed as C^T = B^T A^T by swapping the operands and their
// strides, so the kernel's vector loads and stores run along contiguous C in both layouts.
//
// Threading: problems with M * N * K < 64^3 run on the calling thread with no OpenMP region,
// as does any call made inside an active parallel region. Larger ones use up to
// omp_get_max_threads() threads (one per 64^3 / 2 multiply-adds). The team packs each slab
// cooperatively, then works through about four items per thread, cutting M into row blocks
// (down to 4 MR panels) and, for short M, the slab's panels into chunks. Items are claimed
// from atomic counters, so threads that run slower, are preempted, or start late simply take
// fewer; waits (slab packed, previous slab consumed) cover only claimed items, spin briefly
// and then yield. A caller whose team was starved of CPU time twice in a row (a member found
// no item left to run in a call lasting over 1 ms, as when the OpenMP helper shares the
// caller's core on a loaded machine) runs alone for 0.1 s, doubling up to 1.6 s while that
// persists. Pack buffers are thread_local and grow on demand, so steady-state calls do not
// allocate.
#include "kernels/cpu/gemm.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <new>
#include <thread>
#include <utility>

#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/gemm_kernels.h"

namespace ember::cpu {
namespace {

using gemm_detail::GemmKernel;

constexpr double kMinParallelWork = 64.0 * 64 * 64;   // M*N*K below this: one thread
constexpr double kWorkPerThread = 64.0 * 64 * 64 / 2;  // multiply-adds that justify a thread
constexpr int64_t kItemsPerThread = 4;  // work items per thread, for dynamic balance
constexpr int64_t kMinMcPanels = 4;     // smallest row block, in MR panels, when cutting M
constexpr int kSpinsBeforeYield = 1000;  // pause loops (a few microseconds) before yielding
constexpr int64_t kMaxSlabBytes = int64_t{16} << 20;  // packed B per slab
constexpr size_t kBufferAlign = 64;

using Clock = std::chrono::steady_clock;
constexpr Clock::duration kStarvedCall = std::chrono::milliseconds(1);
constexpr Clock::duration kMinSoloSpell = std::chrono::milliseconds(100);
constexpr Clock::duration kMaxSoloSpell = std::chrono::milliseconds(1600);

// A calling thread's record of how its teams fared. On a loaded machine an OpenMP helper can
// end up sharing the caller's core with other processes (the wake-up that starts each region
// tends to pull it there); then one of the two does all the work while the other waits for
// the core, and every call pays a scheduling round, milliseconds, however little work it has.
// A caller whose teams were starved like that twice in a row runs its calls alone for a
// spell, which doubles while the teams it then tries stay starved; one starved call alone (a
// helper that woke late once) changes nothing.
struct TeamHealth {
  Clock::time_point solo_until{};
  Clock::duration solo_spell = kMinSoloSpell;
  int starved_calls = 0;  // consecutive starved team calls
};
thread_local TeamHealth team_health;

bool team_allowed() { return Clock::now() >= team_health.solo_until; }

// `elapsed`: the parallel region's duration as the caller saw it; `idle_member`: whether some
// member, the caller included, found every item taken by the time it got to run.
void note_team_health(Clock::duration elapsed, bool idle_member) {
  TeamHealth& health = team_health;
  if (!idle_member || elapsed <= kStarvedCall) {
    health.starved_calls = 0;
    health.solo_spell = kMinSoloSpell;
    return;
  }
  if (++health.starved_calls < 2) return;
  health.solo_until = Clock::now() + health.solo_spell;
  health.solo_spell = std::min(2 * health.solo_spell, kMaxSoloSpell);
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }

// Splits `total` into the fewest blocks of at most `cap`, all of near-equal size rounded up to
// a multiple of `unit`; returns that block size.
int64_t balanced_block(int64_t total, int64_t cap, int64_t unit) {
  const int64_t blocks = ceil_div(total, cap);
  return std::min(cap, round_up(ceil_div(total, blocks), unit));
}

// A 64-byte-aligned scratch buffer that only grows.
class PackBuffer {
 public:
  PackBuffer() = default;
  PackBuffer(const PackBuffer&) = delete;
  PackBuffer& operator=(const PackBuffer&) = delete;
  ~PackBuffer() { std::free(data_); }

  void* get(size_t bytes) {
    if (bytes > capacity_) {
      const size_t rounded = (bytes + kBufferAlign - 1) / kBufferAlign * kBufferAlign;
      void* fresh = std::aligned_alloc(kBufferAlign, rounded);
      if (fresh == nullptr) throw std::bad_alloc();
      std::free(data_);
      data_ = fresh;
      capacity_ = rounded;
    }
    return data_;
  }

 private:
  void* data_ = nullptr;
  size_t capacity_ = 0;
};

PackBuffer& a_buffer() {
  thread_local PackBuffer buffer;
  return buffer;
}
PackBuffer& b_buffer() {
  thread_local PackBuffer buffer;
  return buffer;
}

// C = beta * C, with beta == 0 writing zeros without reading C.
template <typename T>
void scale_c(int64_t M, int64_t N, T beta, T* C, int64_t rsc, int64_t csc) {
  for (int64_t i = 0; i < M; ++i) {
    for (int64_t j = 0; j < N; ++j) {
      T& c = C[i * rsc + j * csc];
      c = beta == T(0) ? T(0) : beta * c;
    }
  }
}

template <typename T>
struct Problem {
  int64_t M, N, K;
  T alpha;
  const T* A;
  int64_t rsa, csa;
  const T* B;
  int64_t rsb, csb;
  T beta;
  T* C;
  int64_t rsc, csc;
};

// Block sizes and work split for one call.
struct Plan {
  int64_t kc;           // depth of one packed block (K split into near-equal blocks)
  int64_t nc;           // columns per B slab (a multiple of nr)
  int64_t ks;           // depth per B slab: all of K, or a multiple of kc when that is too big
  int64_t mc;           // rows per work item (a multiple of mr)
  int64_t m_blocks;     // ceil(M / mc)
  int64_t n_chunks;     // pieces each slab's panels are cut into, per row block
  int64_t pack_groups;  // pieces each kc block of a slab is packed in
  int threads;
};

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Progress shared by a team. Items are numbered consecutively across slabs, so the counters
// only grow and never need a reset: a slab whose items are preceded by `base` others owns
// claim numbers [base, base + count).
struct TeamState {
  alignas(64) std::atomic<int64_t> pack_claimed{0};
  alignas(64) std::atomic<uint32_t> pack_done{0};
  alignas(64) std::atomic<int64_t> work_claimed{0};
  alignas(64) std::atomic<uint32_t> work_done{0};
  alignas(64) std::atomic<uint32_t> finished{0};  // members through with run_thread
  std::atomic<uint32_t> idle{0};                   // members that found no item to run
};

// Takes the next claim number below `end`, or returns -1 when all are taken.
int64_t claim(std::atomic<int64_t>& claimed, int64_t end) {
  int64_t next = claimed.load(std::memory_order_relaxed);
  while (next < end) {
    if (claimed.compare_exchange_weak(next, next + 1, std::memory_order_relaxed)) return next;
  }
  return -1;
}

// Waits until `done` reaches `target` (compared modulo 2^32): spins for a few microseconds,
// then yields the core between checks. Yielding rather than sleeping keeps the waiter
// runnable without a wake-up to wait for, and on a loaded machine hands its core to whoever
// is runnable, possibly the preempted team member being waited for (OpenMP's barrier spins).
void wait_done(const std::atomic<uint32_t>& done, int64_t target) {
  const auto goal = static_cast<uint32_t>(target);
  const auto reached = [&done, goal] {
    return static_cast<int32_t>(done.load(std::memory_order_acquire) - goal) >= 0;
  };
  for (int spin = 0; spin < kSpinsBeforeYield; ++spin) {
    if (reached()) return;
    cpu_relax();
  }
  while (!reached()) std::this_thread::yield();
}

// Runs body(i) for every i in [0, count): alone in order, or, in a team, for the items this
// thread claims, then (if `wait`) waits until the whole team has finished all of them.
// Returns how many items this thread ran.
template <typename Body>
int64_t for_each_item(TeamState* team, std::atomic<int64_t> TeamState::*claimed,
                      std::atomic<uint32_t> TeamState::*done, int64_t base, int64_t count,
                      bool wait, Body&& body) {
  if (team == nullptr) {
    for (int64_t i = 0; i < count; ++i) body(i);
    return count;
  }
  int64_t ran = 0;
  for (int64_t c; (c = claim(team->*claimed, base + count)) >= 0; ++ran) {
    body(c - base);
    (team->*done).fetch_add(1, std::memory_order_release);
  }
  if (wait) wait_done(team->*done, base + count);
  return ran;
}

// One thread's part of the loops. In a team (team != nullptr) the threads claim slab-packing
// pieces and (row block, panel chunk) work items dynamically, and wait only for claimed items
// to finish, never for a thread to arrive: a member the OS preempts or wakes late costs at most
// the item it holds, and the others take over the rest. Returns how many items it ran.
template <typename T>
int64_t run_thread(const GemmKernel<T>& kern, const Problem<T>& p, const Plan& plan, T* b_slab,
                TeamState* team) {
  const int64_t mr = kern.mr, nr = kern.nr;
  T* a_pack = static_cast<T*>(a_buffer().get(sizeof(T) * plan.mc * plan.kc));
  const int64_t work_items = plan.m_blocks * plan.n_chunks;

  int64_t pack_base = 0, work_base = 0, ran = 0;
  for (int64_t jc = 0; jc < p.N; jc += plan.nc) {
    const int64_t nc = std::min(plan.nc, p.N - jc);
    const int64_t n_panels = ceil_div(nc, nr);
    const int64_t nc_pad = n_panels * nr;  // slab elements per k
    const int64_t group_panels = ceil_div(n_panels, plan.pack_groups);
    const int64_t chunk_panels = ceil_div(n_panels, plan.n_chunks);
    for (int64_t ks = 0; ks < p.K; ks += plan.ks) {
      const int64_t k_end = std::min(p.K, ks + plan.ks);
      const int64_t pack_items = ceil_div(k_end - ks, plan.kc) * plan.pack_groups;

      // The slab is repacked only once the whole team is done with the previous one.
      if (team != nullptr && work_base > 0) wait_done(team->work_done, work_base);
      ran += for_each_item(team, &TeamState::pack_claimed, &TeamState::pack_done, pack_base,
                    pack_items, true, [&](int64_t item) {
                      const int64_t pc = ks + item / plan.pack_groups * plan.kc;
                      const int64_t group = item % plan.pack_groups;
                      const int64_t kc = std::min(plan.kc, k_end - pc);
                      const int64_t j0 = std::min(nc, group * group_panels * nr);
                      const int64_t j1 = std::min(nc, (group + 1) * group_panels * nr);
                      if (j1 <= j0) return;
                      kern.pack_b(kc, j1 - j0, p.B + pc * p.rsb + (jc + j0) * p.csb, p.rsb,
                                  p.csb, b_slab + (pc - ks) * nc_pad + j0 * kc);
                    });
      pack_base += pack_items;

      ran += for_each_item(team, &TeamState::work_claimed, &TeamState::work_done, work_base,
                    work_items, false, [&](int64_t item) {
                      const int64_t ic = item / plan.n_chunks * plan.mc;
                      const int64_t chunk = item % plan.n_chunks;
                      const int64_t mc = std::min(plan.mc, p.M - ic);
                      const int64_t jr_begin = std::min(nc, chunk * chunk_panels * nr);
                      const int64_t jr_end = std::min(nc, (chunk + 1) * chunk_panels * nr);
                      if (mc <= 0 || jr_end <= jr_begin) return;
                      T* c_block = p.C + ic * p.rsc + jc * p.csc;
                      for (int64_t pc = ks; pc < k_end; pc += plan.kc) {
                        const int64_t kc = std::min(plan.kc, k_end - pc);
                        const T beta = pc == 0 ? p.beta : T(1);
                        kern.pack_a(mc, kc, p.A + ic * p.rsa + pc * p.csa, p.rsa, p.csa,
                                    a_pack);
                        const T* b_block = b_slab + (pc - ks) * nc_pad;
                        for (int64_t jr = jr_begin; jr < jr_end; jr += nr) {
                          const int64_t n = std::min(nr, nc - jr);
                          T* c_tile = c_block + jr * p.csc;
                          for (int64_t ir = 0; ir < mc; ir += mr) {
                            kern.micro(kc, a_pack + ir * kc, b_block + jr * kc,
                                       c_tile + ir * p.rsc, p.rsc, p.csc, std::min(mr, mc - ir), n,
                                       p.alpha, beta);
                          }
                        }
                      }
                    });
      work_base += work_items;
    }
  }
  return ran;
}

template <typename T>
Plan make_plan(const GemmKernel<T>& kern, const Problem<T>& p) {
  Plan plan{};
  const int64_t elem = static_cast<int64_t>(sizeof(T));
  plan.kc = balanced_block(p.K, kern.kc, 1);
  // A slab holds all of K for nc columns when that fits kMaxSlabBytes; otherwise as many kc
  // blocks as fit next to at least nr columns.
  const int64_t slab_columns = kMaxSlabBytes / elem / p.K / kern.nr * kern.nr;
  plan.nc = balanced_block(p.N, std::max(kern.nr, std::min(kern.nc, slab_columns)), kern.nr);
  const int64_t nc_pad = round_up(std::min(p.N, plan.nc), kern.nr);
  const int64_t slab_blocks = std::max<int64_t>(1, kMaxSlabBytes / (elem * nc_pad * plan.kc));
  plan.ks = std::min(p.K, slab_blocks * plan.kc);
  plan.mc = balanced_block(p.M, kern.mc, kern.mr);

  int threads = 1;
  const double work =
      static_cast<double>(p.M) * static_cast<double>(p.N) * static_cast<double>(p.K);
  if (work >= kMinParallelWork && !omp_in_parallel() && team_allowed()) {
    const double wanted = std::max(1.0, work / kWorkPerThread);
    threads = static_cast<int>(std::min<double>(omp_get_max_threads(), wanted));
  }
  const int64_t m_panels = ceil_div(p.M, kern.mr);
  const int64_t n_panels = nc_pad / kern.nr;
  threads = static_cast<int>(std::min<int64_t>(threads, m_panels * n_panels));
  plan.threads = std::max(threads, 1);

  plan.n_chunks = 1;
  plan.pack_groups = 1;
  if (plan.threads > 1) {
    // Enough items per thread that a preempted thread's share can be taken over; rows are
    // cut first (down to kMinMcPanels panels), then the slab's panels.
    const int64_t target = kItemsPerThread * plan.threads;
    if (ceil_div(p.M, plan.mc) < target) {
      const int64_t min_mc = std::min(plan.mc, kMinMcPanels * kern.mr);
      plan.mc = balanced_block(p.M, std::max(min_mc, round_up(ceil_div(p.M, target), kern.mr)),
                               kern.mr);
    }
    plan.n_chunks = std::min(n_panels, ceil_div(target, ceil_div(p.M, plan.mc)));
    plan.pack_groups = std::min(n_panels, ceil_div(target, ceil_div(plan.ks, plan.kc)));
  }
  plan.m_blocks = ceil_div(p.M, plan.mc);
  return plan;
}

template <typename T>
void gemm(const GemmKernel<T>& kern, Problem<T> p) {
  if (p.M <= 0 || p.N <= 0) return;
  if (p.K <= 0 || p.alpha == T(0)) {
    scale_c(p.M, p.N, p.beta, p.C, p.rsc, p.csc);
    return;
  }
  if (p.csc == 1 && p.rsc != 1) {  // row-major C: compute C^T = B^T A^T instead
    std::swap(p.M, p.N);
    std::swap(p.A, p.B);
    std::swap(p.rsa, p.csb);
    std::swap(p.csa, p.rsb);
    std::swap(p.rsc, p.csc);
  }
  const Plan plan = make_plan(kern, p);
  T* b_slab = static_cast<T*>(
      b_buffer().get(sizeof(T) * plan.ks * round_up(std::min(p.N, plan.nc), kern.nr)));
  if (plan.threads == 1) {
    run_thread(kern, p, plan, b_slab, nullptr);
    return;
  }
  TeamState team;
  const Clock::time_point start = Clock::now();
#pragma omp parallel num_threads(plan.threads)
  {
    // Items are claimed dynamically, so a team smaller than requested still covers them all.
    const int members = omp_get_num_threads();
    if (members == 1) {
      run_thread(kern, p, plan, b_slab, nullptr);
    } else {
      if (run_thread(kern, p, plan, b_slab, &team) == 0) {
        team.idle.fetch_add(1, std::memory_order_relaxed);
      }
      // The master arrives last at the region's closing barrier, after yielding until every
      // member is through: a member that starts late on a loaded machine then finds a free
      // core instead of one the master spins on inside OpenMP's barrier.
      team.finished.fetch_add(1, std::memory_order_release);
      if (omp_get_thread_num() == 0) wait_done(team.finished, members);
    }
  }
  note_team_health(Clock::now() - start, team.idle.load(std::memory_order_relaxed) > 0);
}

template <typename T>
const GemmKernel<T>& select_kernel();

template <>
const GemmKernel<float>& select_kernel<float>() {
  switch (best_isa()) {
#if defined(__x86_64__) || defined(__i386__)
    case CpuIsa::avx512:
      return gemm_detail::sgemm_kernel_avx512();
    case CpuIsa::avx2:
      return gemm_detail::sgemm_kernel_avx2();
#endif
    default:
      return gemm_detail::sgemm_kernel_portable();
  }
}

template <>
const GemmKernel<double>& select_kernel<double>() {
  switch (best_isa()) {
#if defined(__x86_64__) || defined(__i386__)
    case CpuIsa::avx512:
      return gemm_detail::dgemm_kernel_avx512();
    case CpuIsa::avx2:
      return gemm_detail::dgemm_kernel_avx2();
#endif
    default:
      return gemm_detail::dgemm_kernel_portable();
  }
}

}  // namespace

void sgemm(int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t rsa,
           int64_t csa, const float* B, int64_t rsb, int64_t csb, float beta, float* C,
           int64_t rsc, int64_t csc) {
  gemm(select_kernel<float>(),
       Problem<float>{M, N, K, alpha, A, rsa, csa, B, rsb, csb, beta, C, rsc, csc});
}

void dgemm(int64_t M, int64_t N, int64_t K, double alpha, const double* A, int64_t rsa,
           int64_t csa, const double* B, int64_t rsb, int64_t csb, double beta, double* C,
           int64_t rsc, int64_t csc) {
  gemm(select_kernel<double>(),
       Problem<double>{M, N, K, alpha, A, rsa, csa, B, rsb, csb, beta, C, rsc, csc});
}

}  // namespace ember::cpu
