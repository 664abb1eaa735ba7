// The SIMT emulator's engine: runs a grid's blocks across OpenMP threads and each CUDA thread of
// a block as a Boost.Context fiber, and implements block barriers, warp collectives (shuffles,
// votes, mma, ldmatrix), schedules and deadlock detection.
//
// Design (docs/internals/simt.md has the long form):
// - One block at a time per OS thread, so `static thread_local` is the block's shared memory.
//   A BlockRunner per OS thread owns pooled fiber stacks (mmap'ed once, guard page below each)
//   and the per-thread contexts; nothing is allocated per launch once the pool is warm.
// - A fiber runs until it parks: at __syncthreads(), at a warp collective, or on exit. The
//   scheduler resumes ready fibers in the schedule's order (forward / reverse / a seeded
//   permutation per barrier phase) until none is ready; then either every thread is at the
//   barrier (it opens), every thread exited (the block is done), or nothing can ever move
//   again: a deadlock, reported with coordinates and source lines.
// - A warp collective completes when the last lane of its mask arrives: that lane computes
//   every lane's result from the slots in ThreadContext and marks the group ready. Results are
//   read when each lane resumes, so lanes see values from the same "instant", as on hardware.
// - Errors inside a fiber are caught in the fiber and recorded; the scheduler then resumes the
//   block's remaining fibers with an abort flag, so each unwinds its own stack by an exception
//   thrown at its park point, and the launch throws after the OpenMP loop: no exception crosses
//   a fiber or an OpenMP boundary.
#include <cxxabi.h>
#include <dlfcn.h>
#include <omp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <boost/context/fiber.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <numeric>
#include <stdexcept>
#include <unordered_map>

#include "kernels/error.h"
#include "kernels/half.h"
#include "kernels/simt/simt.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define EMBER_SIMT_ASAN 1
#else
#define EMBER_SIMT_ASAN 0
#endif

namespace ember::simt {
namespace detail {
constinit thread_local ThreadContext* tl_thread = nullptr;
}  // namespace detail

namespace {

namespace bctx = boost::context;
using detail::BarrierKind;
using detail::Collective;
using detail::State;
using detail::ThreadContext;

// ------------------------------------------------------------------------------------------
// settings

std::size_t default_stack_size() {
  std::size_t kb = EMBER_SIMT_ASAN ? 256 : 64;
  if (const char* v = std::getenv("EMBER_SIMT_STACK_KB")) {
    char* end = nullptr;
    const unsigned long long n = std::strtoull(v, &end, 10);
    EMBER_CHECK(end != v && *end == '\0' && n >= 16 && n <= 65536, ValueError,
                "EMBER_SIMT_STACK_KB: '", v, "' is not a stack size; expected KiB in [16, 65536]");
    kb = n;
  }
  return kb * 1024;
}

struct Settings {
  std::mutex mu;
  bool loaded = false;
  Schedule schedule;
  std::size_t stack_size = 0;
  uint64_t launches = 0;  // since the schedule was last set: seeds random schedules
  std::unordered_map<const void*, std::size_t> max_smem;

  // Reads the environment once, under `mu`.
  void load() {
    if (loaded) return;
    const char* s = std::getenv("EMBER_SIMT_SCHEDULE");
    schedule = s ? parse_schedule(s) : Schedule{};
    stack_size = default_stack_size();
    loaded = true;
  }
};

Settings& settings() {
  static Settings s;
  return s;
}

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// ------------------------------------------------------------------------------------------
// fiber stacks

// Stacks for the fibers of one OS thread: one mapping each, a PROT_NONE guard page below the
// usable part, kept until the thread ends or the stack size changes.
class StackPool {
 public:
  StackPool() = default;
  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;
  ~StackPool() { release(); }

  void ensure(std::size_t count, std::size_t usable) {
    const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    usable = (usable + page - 1) / page * page;
    if (usable != usable_) {
      release();
      usable_ = usable;
      guard_ = page;
    }
    while (bases_.size() < count) {
      void* p = mmap(nullptr, guard_ + usable_, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
      EMBER_CHECK(p != MAP_FAILED, OutOfMemoryError, "simt: cannot map a ", usable_ / 1024,
                  " KiB fiber stack (", bases_.size(), " mapped on this thread)");
      mprotect(p, guard_, PROT_NONE);
      bases_.push_back(static_cast<char*>(p));
    }
  }
  char* bottom(std::size_t i) const { return bases_[i] + guard_; }
  char* top(std::size_t i) const { return bases_[i] + guard_ + usable_; }
  std::size_t usable() const { return usable_; }

 private:
  void release() {
    for (char* p : bases_) munmap(p, guard_ + usable_);
    bases_.clear();
  }
  std::vector<char*> bases_;
  std::size_t usable_ = 0, guard_ = 0;
};

// The stacks belong to the pool: a finished fiber gives nothing back.
struct PooledStack {
  void deallocate(bctx::stack_context&) noexcept {}
};

// ------------------------------------------------------------------------------------------
// messages

const char* collective_name(const ThreadContext& t) {
  switch (t.op) {
    case Collective::syncwarp:
      return "__syncwarp";
    case Collective::shfl_idx:
      return "__shfl_sync";
    case Collective::shfl_up:
      return "__shfl_up_sync";
    case Collective::shfl_down:
      return "__shfl_down_sync";
    case Collective::shfl_xor:
      return "__shfl_xor_sync";
    case Collective::ballot:
      return "__ballot_sync";
    case Collective::any:
      return "__any_sync";
    case Collective::all:
      return "__all_sync";
    case Collective::match_any:
      return "__match_any_sync";
    case Collective::reduce_add:
      return "__reduce_add_sync";
    case Collective::reduce_min:
      return "__reduce_min_sync";
    case Collective::reduce_max:
      return "__reduce_max_sync";
    case Collective::mma_f16:
      return "mma_m16n8k16<f16>";
    case Collective::mma_bf16:
      return "mma_m16n8k16<bf16>";
    case Collective::ldmatrix:
      return "ldmatrix";
  }
  return "?";
}

const char* barrier_name(BarrierKind k) {
  switch (k) {
    case BarrierKind::plain:
      return "__syncthreads()";
    case BarrierKind::count:
      return "__syncthreads_count()";
    case BarrierKind::and_:
      return "__syncthreads_and()";
    case BarrierKind::or_:
      return "__syncthreads_or()";
  }
  return "?";
}

std::string where(const std::source_location& s) {
  const char* f = s.file_name();
  const char* slash = std::strrchr(f, '/');
  return str(slash ? slash + 1 : f, ":", s.line());
}

std::string coords(uint3 v) { return str("(", v.x, ",", v.y, ",", v.z, ")"); }
std::string coords(dim3 v) { return str("(", v.x, ",", v.y, ",", v.z, ")"); }

std::string hex(unsigned v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

// Thrown inside a fiber to stop the launch; carries the whole message.
struct KernelFault : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// Thrown out of a parked fiber's switch_to_scheduler() when its block is aborted, to unwind
// the kernel's frames on the fiber's own stack. No std::exception: kernel code cannot eat it.
struct AbortBlock {};

// ------------------------------------------------------------------------------------------
// the block runner

struct Launch {
  dim3 grid, block;
  std::size_t smem = 0;
  unsigned threads = 0;
  void (*body)(void*) = nullptr;
  void* args = nullptr;
  Schedule schedule;
  uint64_t launch_index = 0;
  std::size_t stack_size = 0;
};

struct WarpState {
  unsigned lanes = 0;    // lanes that exist (a partial last warp has fewer than 32)
  unsigned waiting = 0;  // lanes parked at a collective
  unsigned exited = 0;
};

class BlockRunner;
thread_local BlockRunner* tl_runner = nullptr;

class BlockRunner {
 public:
  // Runs block `b` of the launch to completion; returns "" or what went wrong.
  std::string run(const Launch& L, uint64_t b);

  int barrier(ThreadContext& t, BarrierKind kind, int pred, const std::source_location& site);
  void collective(ThreadContext& t);
  void sleep();
  unsigned live_lanes(const ThreadContext& t) const {
    const WarpState& w = warps_[t.warp];
    return w.lanes & ~w.exited;
  }
  [[noreturn]] void fault(const ThreadContext& t, const std::string& what) const;

 private:
  bctx::fiber make_fiber(unsigned t);
  bctx::fiber fiber_main(unsigned t, bctx::fiber&& scheduler);
  void switch_to_scheduler();
  void resume(unsigned t);
  void make_order();
  bool open_barrier();
  void complete(WarpState& w, ThreadContext& last);
  void exchange(unsigned mask, ThreadContext& t0);
  void mma(unsigned first, bool bf16);
  void ldmatrix(unsigned first, int count, bool trans);
  ThreadContext& lane(const ThreadContext& t, unsigned l) { return threads_[t.warp * 32 + l]; }
  std::string thread_list(State s) const;
  std::string describe(const ThreadContext& t) const;
  std::string deadlock() const;
  void abort_fibers();

  detail::BlockContext block_;
  unsigned n_ = 0;
  std::vector<ThreadContext> threads_;  // sized to the largest block seen; first n_ used
  std::vector<WarpState> warps_;
  std::vector<bctx::fiber> fibers_;
  std::vector<unsigned> order_;
  StackPool stacks_;
  std::unique_ptr<std::byte, decltype(&std::free)> smem_{nullptr, &std::free};
  std::size_t smem_capacity_ = 0;
  bctx::fiber scheduler_;  // where a parking fiber switches to
  void (*body_)(void*) = nullptr;
  void* args_ = nullptr;
  Schedule schedule_;
  uint64_t rng_ = 0;
  unsigned ready_ = 0, at_barrier_ = 0, exited_ = 0;
  bool aborting_ = false;
  std::string fault_;
#if EMBER_SIMT_ASAN
  const void* scheduler_stack_ = nullptr;
  std::size_t scheduler_stack_size_ = 0;
#endif
};

// --- fibers and switching

bctx::fiber BlockRunner::make_fiber(unsigned t) {
  bctx::stack_context sc;
  sc.size = stacks_.usable();
  sc.sp = stacks_.top(t);
  return bctx::fiber(
      std::allocator_arg, bctx::preallocated(sc.sp, sc.size, sc), PooledStack{},
      [this, t](bctx::fiber&& scheduler) { return fiber_main(t, std::move(scheduler)); });
}

bctx::fiber BlockRunner::fiber_main(unsigned t, bctx::fiber&& scheduler) {
#if EMBER_SIMT_ASAN
  __sanitizer_finish_switch_fiber(nullptr, &scheduler_stack_, &scheduler_stack_size_);
#endif
  scheduler_ = std::move(scheduler);
  ThreadContext& tc = threads_[t];
  try {
    if (!aborting_) body_(args_);
  } catch (const AbortBlock&) {
  } catch (const KernelFault& e) {
    if (fault_.empty()) fault_ = e.what();
  } catch (const std::exception& e) {
    if (fault_.empty()) fault_ = str(describe(tc), " threw: ", e.what());
  }
  tc.state = State::exited;
  ++exited_;
  warps_[tc.warp].exited |= 1u << tc.lane;
#if EMBER_SIMT_ASAN
  __sanitizer_start_switch_fiber(nullptr, scheduler_stack_, scheduler_stack_size_);
#endif
  return std::move(scheduler_);
}

// Parks the running fiber; returns when the scheduler resumes it.
void BlockRunner::switch_to_scheduler() {
#if EMBER_SIMT_ASAN
  void* fake = nullptr;
  __sanitizer_start_switch_fiber(&fake, scheduler_stack_, scheduler_stack_size_);
#endif
  scheduler_ = std::move(scheduler_).resume();
#if EMBER_SIMT_ASAN
  __sanitizer_finish_switch_fiber(fake, &scheduler_stack_, &scheduler_stack_size_);
#endif
  if (aborting_) throw AbortBlock{};
}

void BlockRunner::resume(unsigned t) {
  detail::tl_thread = &threads_[t];
#if EMBER_SIMT_ASAN
  void* fake = nullptr;
  __sanitizer_start_switch_fiber(&fake, stacks_.bottom(t), stacks_.usable());
#endif
  fibers_[t] = std::move(fibers_[t]).resume();
#if EMBER_SIMT_ASAN
  __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
#endif
  detail::tl_thread = nullptr;
}

// Resumes every unfinished fiber with aborting_ set: a parked one throws AbortBlock out of its
// park (unwinding the kernel's frames on its own stack), one not yet started returns at once.
void BlockRunner::abort_fibers() {
  aborting_ = true;
  for (unsigned t = 0; t < n_; ++t) {
    if (fibers_[t]) resume(t);
  }
  aborting_ = false;
}

// --- the block loop

void BlockRunner::make_order() {
  order_.resize(n_);
  switch (schedule_.kind) {
    case ScheduleKind::forward:
      std::iota(order_.begin(), order_.end(), 0u);
      break;
    case ScheduleKind::reverse:
      for (unsigned i = 0; i < n_; ++i) order_[i] = n_ - 1 - i;
      break;
    case ScheduleKind::random:
      std::iota(order_.begin(), order_.end(), 0u);
      for (unsigned i = n_; i > 1; --i) std::swap(order_[i - 1], order_[splitmix64(rng_) % i]);
      break;
  }
}

std::string BlockRunner::run(const Launch& L, uint64_t b) {
  n_ = L.threads;
  const uint64_t gx = L.grid.x, gy = L.grid.y;
  block_.block_idx = {static_cast<unsigned>(b % gx), static_cast<unsigned>(b / gx % gy),
                      static_cast<unsigned>(b / (gx * gy))};
  block_.block_dim = L.block;
  block_.grid_dim = L.grid;
  body_ = L.body;
  args_ = L.args;
  schedule_ = L.schedule;
  fault_.clear();
  try {
    // Dynamic shared memory: grown on demand (sized exactly under AddressSanitizer, so an
    // access past the launch's smem_bytes is caught), 0xff-poisoned per block (NaN in floats)
    // so a read of an element no thread wrote shows up as it would on a GPU: as garbage.
    const std::size_t want = std::max<std::size_t>(L.smem, 16);
    if (!smem_ || (EMBER_SIMT_ASAN ? want != smem_capacity_ : want > smem_capacity_)) {
      void* p = nullptr;
      EMBER_CHECK(posix_memalign(&p, 128, want) == 0, OutOfMemoryError, "simt: cannot allocate ",
                  want, " bytes of dynamic shared memory");
      smem_.reset(static_cast<std::byte*>(p));
      smem_capacity_ = want;
    }
    std::memset(smem_.get(), 0xff, L.smem);
    block_.dynamic_smem = smem_.get();

    stacks_.ensure(n_, L.stack_size);
    if (threads_.size() < n_) threads_.resize(n_);
    const unsigned bx = L.block.x, bxy = L.block.x * L.block.y;
    for (unsigned t = 0; t < n_; ++t) {
      ThreadContext& tc = threads_[t];
      tc.thread_idx = {t % bx, t / bx % L.block.y, t / bxy};
      tc.linear = t;
      tc.warp = t / 32;
      tc.lane = t % 32;
      tc.block = &block_;
      tc.state = State::ready;
      tc.mask = 0;
      tc.pending.clear();
      tc.group_ends.clear();
    }
    const unsigned num_warps = (n_ + 31) / 32;
    warps_.assign(num_warps, WarpState{0xffffffffu, 0, 0});
    if (n_ % 32 != 0) warps_.back().lanes = (1u << (n_ % 32)) - 1;
    fibers_.resize(std::max<std::size_t>(fibers_.size(), n_));
    for (unsigned t = 0; t < n_; ++t) fibers_[t] = make_fiber(t);
  } catch (const std::exception& e) {
    return e.what();
  }

  uint64_t seed = schedule_.seed ^ (L.launch_index * 0xd1b54a32d192ed03ull);
  rng_ = splitmix64(seed) ^ b;
  make_order();
  ready_ = n_;
  at_barrier_ = exited_ = 0;
  tl_runner = this;
  for (;;) {
    while (ready_ > 0 && fault_.empty()) {
      for (unsigned t : order_) {
        if (threads_[t].state != State::ready) continue;
        resume(t);
        if (threads_[t].state != State::ready) --ready_;
        if (ready_ == 0 || !fault_.empty()) break;
      }
    }
    if (!fault_.empty() || exited_ == n_) break;
    if (at_barrier_ == n_) {
      if (!open_barrier()) break;
      continue;
    }
    fault_ = deadlock();
    break;
  }
  if (!fault_.empty()) abort_fibers();
  tl_runner = nullptr;
  return fault_;
}

// --- block barriers

int BlockRunner::barrier(ThreadContext& t, BarrierKind kind, int pred,
                         const std::source_location& site) {
  t.barrier = kind;
  t.param = pred;
  t.site = site;
  t.state = State::at_barrier;
  ++at_barrier_;
  switch_to_scheduler();
  return static_cast<int>(t.out[0]);
}

// Every thread waits at a barrier: check it is the same one, compute its reduction, release.
bool BlockRunner::open_barrier() {
  const ThreadContext& t0 = threads_[0];
  unsigned count = 0;
  for (unsigned t = 0; t < n_; ++t) {
    const ThreadContext& tc = threads_[t];
    if (tc.barrier != t0.barrier || tc.site.line() != t0.site.line() ||
        std::strcmp(tc.site.file_name(), t0.site.file_name()) != 0) {
      fault_ = str("block ", coords(block_.block_idx), ": thread ", coords(t0.thread_idx),
                   " waits at ", barrier_name(t0.barrier), " (", where(t0.site), ") but thread ",
                   coords(tc.thread_idx), " at ", barrier_name(tc.barrier), " (", where(tc.site),
                   "); every thread of a block must reach the same barrier");
      return false;
    }
    count += tc.param != 0;
  }
  unsigned result = 0;
  switch (t0.barrier) {
    case BarrierKind::plain:
      break;
    case BarrierKind::count:
      result = count;
      break;
    case BarrierKind::and_:
      result = count == n_;
      break;
    case BarrierKind::or_:
      result = count > 0;
      break;
  }
  for (unsigned t = 0; t < n_; ++t) {
    threads_[t].out[0] = result;
    threads_[t].state = State::ready;
  }
  ready_ = n_;
  at_barrier_ = 0;
  if (schedule_.kind == ScheduleKind::random) make_order();
  return true;
}

void BlockRunner::sleep() { switch_to_scheduler(); }  // the fiber stays ready

// --- warp collectives

void BlockRunner::collective(ThreadContext& t) {
  WarpState& w = warps_[t.warp];
  const unsigned bit = 1u << t.lane;
  if ((t.mask & bit) == 0) {
    fault(t, str(collective_name(t), " (", where(t.site), ") called with mask ", hex(t.mask),
                 ", which does not include the calling lane ", t.lane,
                 "; the mask must name every participating lane, the caller included"));
  }
  const bool whole_warp =
      t.op == Collective::mma_f16 || t.op == Collective::mma_bf16 || t.op == Collective::ldmatrix;
  if (whole_warp && w.lanes != 0xffffffffu) {
    fault(t, str(collective_name(t), " (", where(t.site), ") needs all 32 lanes of a warp; warp ",
                 t.warp, " of this ", n_, "-thread block has ", std::popcount(w.lanes)));
  }
  t.mask &= w.lanes;  // lanes past the end of a partial last warp do not take part
  t.state = State::at_warp_op;
  w.waiting |= bit;
  if ((w.waiting & t.mask) == t.mask) complete(w, t);
  switch_to_scheduler();
}

// The last lane of `mask` arrived. The group completes if every lane of the mask waits with
// the same mask; a lane waiting with another mask is in another group, which may complete
// first and bring it here later (or never: then the scheduler reports the deadlock).
void BlockRunner::complete(WarpState& w, ThreadContext& last) {
  const unsigned mask = last.mask;
  for (unsigned m = mask; m != 0; m &= m - 1) {
    const ThreadContext& o = lane(last, static_cast<unsigned>(std::countr_zero(m)));
    if (o.mask != mask) return;
  }
  for (unsigned m = mask; m != 0; m &= m - 1) {
    const ThreadContext& o = lane(last, static_cast<unsigned>(std::countr_zero(m)));
    const bool both_syncwarp = o.op == Collective::syncwarp && last.op == Collective::syncwarp;
    if (o.op != last.op && !both_syncwarp) {
      fault(last, str("lanes of warp ", last.warp, " meet at different warp collectives: lane ",
                      o.lane, " at ", collective_name(o), " (", where(o.site), "), lane ",
                      last.lane, " at ", collective_name(last), " (", where(last.site),
                      "); every lane in the mask must call the same one"));
    }
    if (o.op == Collective::ldmatrix && (o.param != last.param || o.flag != last.flag)) {
      fault(last, str("lanes of warp ", last.warp, " call different ldmatrix variants (",
                      where(o.site), ", ", where(last.site), ")"));
    }
  }
  exchange(mask, last);
  w.waiting &= ~mask;
  for (unsigned m = mask; m != 0; m &= m - 1) {
    ThreadContext& o = lane(last, static_cast<unsigned>(std::countr_zero(m)));
    if (&o != &last) ++ready_;
    o.state = State::ready;
  }
}

// Computes the result of every lane of a complete group from the lanes' inputs.
void BlockRunner::exchange(unsigned mask, ThreadContext& t0) {
  const unsigned base = t0.warp * 32;
  auto value = [&](unsigned l) {
    uint64_t v;
    std::memcpy(&v, threads_[base + l].in, 8);
    return v;
  };
  switch (t0.op) {
    case Collective::syncwarp:
      return;
    case Collective::shfl_idx:
    case Collective::shfl_up:
    case Collective::shfl_down:
    case Collective::shfl_xor: {
      uint64_t result[32];
      for (unsigned m = mask; m != 0; m &= m - 1) {
        const unsigned l = static_cast<unsigned>(std::countr_zero(m));
        const ThreadContext& o = threads_[base + l];
        const int width = o.width;
        if (width < 1 || width > 32 || (width & (width - 1)) != 0) {
          fault(o, str(collective_name(o), " (", where(o.site), "): width ", width,
                       " is not a power of two in [1, 32]"));
        }
        const int seg = static_cast<int>(l) & ~(width - 1);  // first lane of l's segment
        const int pos = static_cast<int>(l) - seg;
        int src = static_cast<int>(l);
        switch (o.op) {
          case Collective::shfl_idx:
            src = seg + (o.param & (width - 1));
            break;
          case Collective::shfl_up:
            if (pos >= o.param) src = static_cast<int>(l) - o.param;
            break;
          case Collective::shfl_down:
            if (pos + o.param < width) src = static_cast<int>(l) + o.param;
            break;
          default:  // xor: lanes may read earlier segments, never later ones
            if ((static_cast<int>(l) ^ o.param) < seg + width) src = static_cast<int>(l) ^ o.param;
            break;
        }
        // Reading a lane outside the group is undefined on a GPU; here it reads the caller.
        if (src < 0 || src > 31 || (mask >> src & 1u) == 0) src = static_cast<int>(l);
        result[l] = value(static_cast<unsigned>(src));
      }
      for (unsigned m = mask; m != 0; m &= m - 1) {
        const unsigned l = static_cast<unsigned>(std::countr_zero(m));
        std::memcpy(threads_[base + l].out, &result[l], 8);
      }
      return;
    }
    case Collective::ballot:
    case Collective::any:
    case Collective::all: {
      unsigned ballot = 0;
      for (unsigned m = mask; m != 0; m &= m - 1) {
        const unsigned l = static_cast<unsigned>(std::countr_zero(m));
        if (threads_[base + l].param) ballot |= 1u << l;
      }
      const unsigned r = t0.op == Collective::ballot ? ballot
                         : t0.op == Collective::any  ? (ballot != 0)
                                                     : (ballot == mask);
      for (unsigned m = mask; m != 0; m &= m - 1) {
        threads_[base + static_cast<unsigned>(std::countr_zero(m))].out[0] = r;
      }
      return;
    }
    case Collective::match_any: {
      for (unsigned m = mask; m != 0; m &= m - 1) {
        const unsigned l = static_cast<unsigned>(std::countr_zero(m));
        unsigned same = 0;
        for (unsigned k = mask; k != 0; k &= k - 1) {
          const unsigned j = static_cast<unsigned>(std::countr_zero(k));
          if (value(j) == value(l)) same |= 1u << j;
        }
        threads_[base + l].out[0] = same;
      }
      return;
    }
    case Collective::reduce_add:
    case Collective::reduce_min:
    case Collective::reduce_max: {
      const bool is_signed = t0.flag;
      auto less = [&](uint32_t a, uint32_t b) {
        return is_signed ? static_cast<int32_t>(a) < static_cast<int32_t>(b) : a < b;
      };
      uint32_t r = threads_[base + static_cast<unsigned>(std::countr_zero(mask))].in[0];
      for (unsigned m = mask & (mask - 1); m != 0; m &= m - 1) {
        const uint32_t v = threads_[base + static_cast<unsigned>(std::countr_zero(m))].in[0];
        if (t0.op == Collective::reduce_add) r += v;
        if (t0.op == Collective::reduce_min && less(v, r)) r = v;
        if (t0.op == Collective::reduce_max && less(r, v)) r = v;
      }
      for (unsigned m = mask; m != 0; m &= m - 1) {
        threads_[base + static_cast<unsigned>(std::countr_zero(m))].out[0] = r;
      }
      return;
    }
    case Collective::mma_f16:
    case Collective::mma_bf16:
      mma(base, t0.op == Collective::mma_bf16);
      return;
    case Collective::ldmatrix:
      ldmatrix(base, t0.param, t0.flag);
      return;
  }
}

// mma.m16n8k16.row.col with f32 accumulate, from the PTX ISA fragment layouts
// (groupID g = lane / 4, t = lane % 4; the low half of a register holds the lower index):
//   A (16x16): a[0] = A[g][2t..2t+1], a[1] = A[g+8][2t..], a[2] = A[g][2t+8..], a[3] =
//   A[g+8][2t+8..] B (16x8):  b[0] = B[2t..2t+1][g], b[1] = B[2t+8..2t+9][g] C, D (16x8 f32):
//   c[0..1] = C[g][2t..2t+1], c[2..3] = C[g+8][2t..2t+1]
// Lane inputs: in[0..3] = a, in[4..5] = b, in[6..9] = c (float bits); output out[0..3] = d.
void BlockRunner::mma(unsigned first, bool bf16) {
  auto half = [bf16](uint32_t reg, int hi) {
    const uint16_t h = static_cast<uint16_t>(hi ? reg >> 16 : reg & 0xffffu);
    return bf16 ? static_cast<float>(ember::bf16::from_bits(h)) : ember::f16::to_float(h);
  };
  float A[16][16], B[16][8], C[16][8];
  for (unsigned l = 0; l < 32; ++l) {
    const ThreadContext& o = threads_[first + l];
    const unsigned g = l / 4, t = l % 4;
    for (int h = 0; h < 2; ++h) {
      A[g][2 * t + h] = half(o.in[0], h);
      A[g + 8][2 * t + h] = half(o.in[1], h);
      A[g][2 * t + 8 + h] = half(o.in[2], h);
      A[g + 8][2 * t + 8 + h] = half(o.in[3], h);
      B[2 * t + h][g] = half(o.in[4], h);
      B[2 * t + 8 + h][g] = half(o.in[5], h);
    }
    float c[4];
    std::memcpy(c, &o.in[6], sizeof c);
    C[g][2 * t] = c[0];
    C[g][2 * t + 1] = c[1];
    C[g + 8][2 * t] = c[2];
    C[g + 8][2 * t + 1] = c[3];
  }
  for (unsigned l = 0; l < 32; ++l) {
    const unsigned g = l / 4, t = l % 4;
    const unsigned rows[4] = {g, g, g + 8, g + 8}, cols[4] = {2 * t, 2 * t + 1, 2 * t, 2 * t + 1};
    float d[4];
    for (int i = 0; i < 4; ++i) {
      float acc = C[rows[i]][cols[i]];
      for (int k = 0; k < 16; ++k) acc = std::fma(A[rows[i]][k], B[k][cols[i]], acc);
      d[i] = acc;
    }
    std::memcpy(threads_[first + l].out, d, sizeof d);
  }
}

// ldmatrix.m8n8.x{1,2,4}[.trans].b16: lanes 8i..8i+7 give the row addresses of matrix i; lane
// l receives, of each matrix, row l/4 columns 2(l%4)..+1 (transposed: rows 2(l%4)..+1 of
// column l/4). Lane input: in[0..1] = the row pointer.
void BlockRunner::ldmatrix(unsigned first, int count, bool trans) {
  auto row = [&](unsigned l) {
    const unsigned char* p;
    std::memcpy(&p, threads_[first + l].in, sizeof p);
    return p;
  };
  for (unsigned l = 0; l < static_cast<unsigned>(8 * count); ++l) {
    if (reinterpret_cast<uintptr_t>(row(l)) % 16 != 0) {
      fault(threads_[first + l],
            str("ldmatrix (", where(threads_[first + l].site), "): row address ",
                static_cast<const void*>(row(l)), " is not 16-byte aligned"));
    }
  }
  for (unsigned l = 0; l < 32; ++l) {
    for (int m = 0; m < count; ++m) {
      uint32_t r;
      if (!trans) {
        std::memcpy(&r, row(8 * m + l / 4) + 4 * (l % 4), 4);
      } else {
        uint16_t lo, hi;
        std::memcpy(&lo, row(8 * m + 2 * (l % 4)) + 2 * (l / 4), 2);
        std::memcpy(&hi, row(8 * m + 2 * (l % 4) + 1) + 2 * (l / 4), 2);
        r = lo | static_cast<uint32_t>(hi) << 16;
      }
      threads_[first + l].out[m] = r;
    }
  }
}

// --- diagnostics

void BlockRunner::fault(const ThreadContext& t, const std::string& what) const {
  throw KernelFault(str(describe(t), ": ", what));
}

std::string BlockRunner::describe(const ThreadContext& t) const {
  return str("block ", coords(block_.block_idx), " thread ", coords(t.thread_idx));
}

// The threads in state `s`, as coordinate ranges: "(0,0,0)..(31,0,0), (40,0,0)".
std::string BlockRunner::thread_list(State s) const {
  std::string out;
  int ranges = 0;
  unsigned t = 0, total = 0;
  for (unsigned i = 0; i < n_; ++i) total += threads_[i].state == s;
  unsigned listed = 0;
  while (t < n_) {
    if (threads_[t].state != s) {
      ++t;
      continue;
    }
    unsigned e = t;
    while (e + 1 < n_ && threads_[e + 1].state == s) ++e;
    if (ranges == 3) {
      out += str(" and ", total - listed, " more");
      break;
    }
    out += str(ranges ? ", " : "", coords(threads_[t].thread_idx));
    if (e > t) out += str("..", coords(threads_[e].thread_idx));
    listed += e - t + 1;
    ++ranges;
    t = e + 1;
  }
  return out;
}

std::string BlockRunner::deadlock() const {
  const std::string block = str("deadlock in block ", coords(block_.block_idx), ": ");
  // A warp collective that can no longer complete.
  for (unsigned i = 0; i < n_; ++i) {
    const ThreadContext& t = threads_[i];
    if (t.state != State::at_warp_op) continue;
    for (unsigned m = t.mask; m != 0; m &= m - 1) {
      const ThreadContext& o = threads_[t.warp * 32 + static_cast<unsigned>(std::countr_zero(m))];
      if (o.state == State::at_warp_op && o.mask == t.mask) continue;
      std::string why;
      if (o.state == State::exited) {
        why = "has exited";
      } else if (o.state == State::at_barrier) {
        why = str("waits at ", barrier_name(o.barrier), " (", where(o.site), ")");
      } else {
        why =
            str("waits at ", collective_name(o), " (", where(o.site), ") with mask ", hex(o.mask));
      }
      return str(block, "lane ", t.lane, " of warp ", t.warp, " (thread ", coords(t.thread_idx),
                 ") waits at ", collective_name(t), " (", where(t.site), ") with mask ",
                 hex(t.mask), " but lane ", o.lane, " (thread ", coords(o.thread_idx), ") ", why,
                 "; every lane named in the mask must reach the same warp collective");
    }
  }
  // Threads at a barrier that threads which exited will never reach.
  const ThreadContext* waiting = nullptr;
  unsigned num_waiting = 0, num_exited = 0;
  for (unsigned i = 0; i < n_; ++i) {
    if (threads_[i].state == State::at_barrier && num_waiting++ == 0) waiting = &threads_[i];
    num_exited += threads_[i].state == State::exited;
  }
  if (waiting != nullptr) {
    return str(block, num_waiting == 1 ? "thread " : "threads ", thread_list(State::at_barrier),
               num_waiting == 1 ? " waits at " : " wait at ", barrier_name(waiting->barrier), " (",
               where(waiting->site), ") but ", num_exited == 1 ? "thread " : "threads ",
               thread_list(State::exited), num_exited == 1 ? " has exited" : " have exited",
               "; every thread of a block must reach each __syncthreads()");
  }
  return str(block, "no thread can make progress");
}

BlockRunner& runner() {
  thread_local std::unique_ptr<BlockRunner> r;
  if (!r) r = std::make_unique<BlockRunner>();
  return *r;
}

std::string kernel_name(const char* name, const void* id) {
  if (name != nullptr) return name;
  Dl_info info;
  if (dladdr(id, &info) != 0 && info.dli_sname != nullptr) {
    int status = 0;
    std::unique_ptr<char, decltype(&std::free)> d(
        abi::__cxa_demangle(info.dli_sname, nullptr, nullptr, &status), &std::free);
    return status == 0 && d ? std::string(d.get()) : std::string(info.dli_sname);
  }
  return str("kernel at ", id);
}

}  // namespace

// ------------------------------------------------------------------------------------------
// entry points from kernels (context.h)

namespace detail {

int block_barrier(BarrierKind kind, int predicate, const std::source_location& site) {
  return tl_runner->barrier(current_thread(), kind, predicate, site);
}

void warp_collective(ThreadContext& t) { tl_runner->collective(t); }

void yield_thread() { tl_runner->sleep(); }

unsigned live_lanes() { return tl_runner->live_lanes(current_thread()); }

void kernel_fault(const char* what, const std::source_location& site) {
  tl_runner->fault(current_thread(), str(what, " (", where(site), ")"));
}

}  // namespace detail

// ------------------------------------------------------------------------------------------
// host API (simt.h)

Schedule parse_schedule(std::string_view text) {
  if (text == "forward") return {ScheduleKind::forward, 0};
  if (text == "reverse") return {ScheduleKind::reverse, 0};
  if (text == "random") return {ScheduleKind::random, 0};
  if (text.starts_with("random:") && text.size() > 7) {
    const std::string digits(text.substr(7));
    char* end = nullptr;
    const uint64_t seed = std::strtoull(digits.c_str(), &end, 10);
    if (*end == '\0' && digits.find_first_not_of("0123456789") == std::string::npos) {
      return {ScheduleKind::random, seed};
    }
  }
  throw ValueError(str("EMBER_SIMT_SCHEDULE: '", text,
                       "' is not a schedule; expected forward, reverse, random or random:<seed>"));
}

std::string to_string(const Schedule& s) {
  switch (s.kind) {
    case ScheduleKind::forward:
      return "forward";
    case ScheduleKind::reverse:
      return "reverse";
    case ScheduleKind::random:
      return str("random:", s.seed);
  }
  return "?";
}

Schedule schedule() {
  Settings& s = settings();
  std::lock_guard lock(s.mu);
  s.load();
  return s.schedule;
}

void set_schedule(const Schedule& schedule) {
  Settings& s = settings();
  std::lock_guard lock(s.mu);
  s.load();
  s.schedule = schedule;
  s.launches = 0;
}

std::size_t stack_size() {
  Settings& s = settings();
  std::lock_guard lock(s.mu);
  s.load();
  return s.stack_size;
}

void set_stack_size(std::size_t bytes) {
  EMBER_CHECK(bytes >= 16 * 1024, ValueError, "simt::set_stack_size: ", bytes,
              " bytes is too small for a fiber; expected at least 16384");
  Settings& s = settings();
  std::lock_guard lock(s.mu);
  s.load();
  s.stack_size = bytes;
}

void set_max_dynamic_smem(const void* kernel_id, std::size_t bytes) {
  Settings& s = settings();
  std::lock_guard lock(s.mu);
  s.max_smem[kernel_id] = bytes;
}

void launch_grid(const char* name, const void* kernel_id, dim3 grid, dim3 block,
                 std::size_t dynamic_smem_bytes, void (*body)(void*), void* args) {
  auto prefix = [&] {
    return str("simt launch of ", kernel_name(name, kernel_id), "<<<", coords(grid), ", ",
               coords(block), ", ", dynamic_smem_bytes, ">>>: ");
  };
  EMBER_CHECK(detail::tl_thread == nullptr, DeviceError, prefix(),
              "launched from inside a kernel; dynamic parallelism is not supported");
  const uint64_t threads = uint64_t{block.x} * block.y * block.z;
  const uint64_t blocks = uint64_t{grid.x} * grid.y * grid.z;
  EMBER_CHECK(
      threads >= 1 && threads <= 1024 && block.x <= 1024 && block.y <= 1024 && block.z <= 64,
      DeviceError, prefix(), "invalid block size ", coords(block), " (", threads,
      " threads); expected at most 1024 threads, (1024,1024,64) per dimension");
  EMBER_CHECK(blocks >= 1 && grid.x <= 0x7fffffffu && grid.y <= 65535 && grid.z <= 65535,
              DeviceError, prefix(), "invalid grid size ", coords(grid),
              "; expected every dimension >= 1 and at most (2147483647,65535,65535)");

  Launch L;
  L.grid = grid;
  L.block = block;
  L.smem = dynamic_smem_bytes;
  L.threads = static_cast<unsigned>(threads);
  L.body = body;
  L.args = args;
  std::size_t smem_limit = kDefaultDynamicSmem;
  {
    Settings& s = settings();
    std::lock_guard lock(s.mu);
    s.load();
    L.schedule = s.schedule;
    L.launch_index = s.launches++;
    L.stack_size = s.stack_size;
    if (auto it = s.max_smem.find(kernel_id); it != s.max_smem.end()) smem_limit = it->second;
  }
  EMBER_CHECK(dynamic_smem_bytes <= smem_limit, DeviceError, prefix(), dynamic_smem_bytes,
              " bytes of dynamic shared memory exceed the kernel's limit of ", smem_limit,
              "; raise it with cudaFuncSetAttribute(kernel, "
              "cudaFuncAttributeMaxDynamicSharedMemorySize, bytes), at most ",
              kMaxDynamicSmemOptin);

  std::atomic<bool> failed{false};
  std::mutex mu;
  uint64_t error_block = blocks;
  std::string error;
  auto run_block = [&](uint64_t b) {
    if (failed.load(std::memory_order_relaxed)) return;
    std::string e;
    try {
      e = runner().run(L, b);
    } catch (const std::exception& ex) {
      e = ex.what();
    }
    if (e.empty()) return;
    std::lock_guard lock(mu);
    if (b < error_block) {
      error_block = b;
      error = std::move(e);
    }
    failed.store(true, std::memory_order_relaxed);
  };
  if (blocks == 1 || omp_get_max_threads() == 1 || omp_in_parallel()) {
    for (uint64_t b = 0; b < blocks; ++b) run_block(b);
  } else {
    const auto nb = static_cast<int64_t>(blocks);
#pragma omp parallel for schedule(dynamic, 1)
    for (int64_t b = 0; b < nb; ++b) run_block(static_cast<uint64_t>(b));
  }
  if (failed.load()) throw DeviceError(prefix() + error);
}

}  // namespace ember::simt
