// The SIMT emulator's host-side controls: the fiber schedule, the fiber stack size, and the
// type-erased grid launch that kernels/cuda/launch.h calls. How it works: docs/internals/simt.md.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "kernels/simt/context.h"

namespace ember::simt {

// The order in which a block's fibers are resumed between two barriers.
enum class ScheduleKind { forward, reverse, random };

struct Schedule {
  ScheduleKind kind = ScheduleKind::forward;
  uint64_t seed = 0;  // random only; each phase of each block gets its own permutation
};

// "forward", "reverse", "random" or "random:<seed>" (the syntax of EMBER_SIMT_SCHEDULE).
// Throws ValueError for anything else.
Schedule parse_schedule(std::string_view text);
std::string to_string(const Schedule& s);

// The schedule launches use. Starts as EMBER_SIMT_SCHEDULE (forward when unset). Setting it
// also restarts the launch counter that seeds random schedules, so a test that sets a
// schedule sees the same orders on every run.
Schedule schedule();
void set_schedule(const Schedule& s);

// Sets a schedule for one scope, restoring the previous one on exit.
class ScopedSchedule {
 public:
  explicit ScopedSchedule(const Schedule& s) : saved_(schedule()) { set_schedule(s); }
  ~ScopedSchedule() { set_schedule(saved_); }
  ScopedSchedule(const ScopedSchedule&) = delete;
  ScopedSchedule& operator=(const ScopedSchedule&) = delete;

 private:
  Schedule saved_;
};

// Usable stack bytes per fiber (one fiber per CUDA thread). Starts as EMBER_SIMT_STACK_KB
// KiB, default 64 KiB (256 KiB under AddressSanitizer). Stacks are pooled per OS thread and
// re-made only when this changes. A kernel that overflows its stack hits a guard page.
std::size_t stack_size();
void set_stack_size(std::size_t bytes);

// Runs `body(args)` once per CUDA thread of the grid and returns when every block finished.
// Throws DeviceError for an invalid configuration, a deadlock or a misused warp collective,
// after the grid stopped. `name` may be null: the kernel's symbol name is then looked up
// from `kernel_id` (its address) when a message needs it.
void launch_grid(const char* name, const void* kernel_id, dim3 grid, dim3 block,
                 std::size_t dynamic_smem_bytes, void (*body)(void*), void* args);

// The largest dynamic shared memory a launch of `kernel_id` may ask for: 48 KiB, or what
// cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, n) allowed, as
// on a GPU. At most kMaxDynamicSmemOptin.
inline constexpr std::size_t kDefaultDynamicSmem = 48 * 1024;
inline constexpr std::size_t kMaxDynamicSmemOptin = 227 * 1024;
void set_max_dynamic_smem(const void* kernel_id, std::size_t bytes);

}  // namespace ember::simt
