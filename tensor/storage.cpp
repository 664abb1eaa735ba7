// Storage lifetime and the CPU allocator: 64-byte aligned blocks, optional poisoning of new
// memory (EMBER_DEBUG_POISON=1, used by the tests to catch elements a kernel never wrote).
#include "tensor/storage.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "kernels/error.h"

namespace ember {

namespace {
std::atomic<int64_t> g_allocated{0}, g_peak{0}, g_allocations{0};

bool poison_enabled() {
  static const bool on = [] {
    const char* v = std::getenv("EMBER_DEBUG_POISON");
    return v != nullptr && std::strcmp(v, "0") != 0;
  }();
  return on;
}

void* cpu_alloc(size_t nbytes) {
  if (nbytes == 0) return nullptr;
  constexpr size_t kAlign = 64;
  size_t rounded = (nbytes + kAlign - 1) / kAlign * kAlign;
  void* p = std::aligned_alloc(kAlign, rounded);
  if (p == nullptr) {
    throw OutOfMemoryError(str("cpu allocator: out of memory allocating ", nbytes,
                               " bytes; currently allocated ", g_allocated.load(), ", peak ",
                               g_peak.load()));
  }
  // 0xFF bytes: NaN for floats, -1 for signed integers, 255 for u8; no kernel output is
  // left like that by accident.
  if (poison_enabled()) std::memset(p, 0xFF, rounded);
  int64_t now = g_allocated.fetch_add(static_cast<int64_t>(nbytes)) + static_cast<int64_t>(nbytes);
  int64_t peak = g_peak.load();
  while (now > peak && !g_peak.compare_exchange_weak(peak, now)) {
  }
  g_allocations.fetch_add(1);
  return p;
}
}  // namespace

Storage::Storage(size_t nbytes, Device device) : nbytes_(nbytes), device_(device) {
  if (!device.is_cpu()) {
    throw DeviceError(str("storage: cannot allocate on ", device.str(),
                          "; this build of ember has only the cpu backend"));
  }
  data_ = cpu_alloc(nbytes);
  deleter_ = [nbytes](void* p) {
    std::free(p);
    g_allocated.fetch_sub(static_cast<int64_t>(nbytes));
  };
}

Storage::Storage(void* data, size_t nbytes, Device device, Deleter deleter)
    : data_(data), nbytes_(nbytes), device_(device), deleter_(std::move(deleter)) {}

Storage::~Storage() {
  if (deleter_ && data_ != nullptr) deleter_(data_);
}

MemoryStats cpu_memory_stats() {
  return {g_allocated.load(), g_peak.load(), g_allocations.load()};
}

void reset_cpu_peak() { g_peak.store(g_allocated.load()); }

}  // namespace ember
