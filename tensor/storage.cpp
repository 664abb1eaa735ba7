// Storage lifetime and the CPU caching allocator.
//
// Freed blocks are kept in per-size free lists and handed out again, because the alternative
// is expensive: glibc returns large blocks to the OS, so every fresh output tensor page-faults
// each of its pages on first touch, which costs more than the op that writes it. Sizes are
// rounded to one of eight classes per power of two (at most 12.5% waste), blocks of 2 MiB and
// more are 2 MiB-aligned and advised for transparent huge pages. The cache holds at most
// EMBER_CPU_CACHE_BYTES (default 1 GiB; 0 turns caching off); when an allocation fails, the cache is
// emptied and the allocation retried before OutOfMemoryError is raised. New and reused blocks
// are poisoned when EMBER_DEBUG_POISON is set, so an output element a kernel never wrote reads
// as NaN / -1 in the tests.
#include "tensor/storage.h"

#include <sys/mman.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "kernels/error.h"

namespace ember {

namespace {

constexpr size_t kAlign = 64;
constexpr size_t kHugePage = size_t{2} << 20;

int64_t env_bytes(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  long long n = std::strtoll(v, &end, 10);
  if (*end != '\0' || n < 0) {
    throw ValueError(str(name, ": expected a non-negative byte count, got '", v, "'"));
  }
  return n;
}

bool poison_enabled() {
  static const bool on = [] {
    const char* v = std::getenv("EMBER_DEBUG_POISON");
    return v != nullptr && std::strcmp(v, "0") != 0;
  }();
  return on;
}

// The size class a request is served from: a multiple of 64 below 1 KiB, else one of eight
// steps between consecutive powers of two.
size_t size_class(size_t nbytes) {
  if (nbytes <= 1024) return (nbytes + kAlign - 1) / kAlign * kAlign;
  size_t top = size_t{1} << (63 - __builtin_clzll(nbytes - 1));  // largest power of 2 < nbytes
  size_t step = top / 8;
  return (nbytes + step - 1) / step * step;
}

class CpuAllocator {
 public:
  CpuAllocator() : cache_limit_(env_bytes("EMBER_CPU_CACHE_BYTES", int64_t{1} << 30)) {}

  void* allocate(size_t nbytes) {
    size_t cls = size_class(nbytes);
    void* p = take_cached(cls);
    if (p == nullptr) p = fresh(cls, nbytes);
    if (poison_enabled()) std::memset(p, 0xFF, cls);
    int64_t now = allocated_.fetch_add(static_cast<int64_t>(cls)) + static_cast<int64_t>(cls);
    int64_t peak = peak_.load();
    while (now > peak && !peak_.compare_exchange_weak(peak, now)) {
    }
    allocations_.fetch_add(1);
    return p;
  }

  void release(void* p, size_t nbytes) {
    size_t cls = size_class(nbytes);
    allocated_.fetch_sub(static_cast<int64_t>(cls));
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (cached_ + static_cast<int64_t>(cls) <= cache_limit_) {
        free_[cls].push_back(p);
        cached_ += static_cast<int64_t>(cls);
        return;
      }
    }
    std::free(p);
    reserved_.fetch_sub(static_cast<int64_t>(cls));
  }

  void empty_cache() {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [cls, blocks] : free_) {
      for (void* p : blocks) std::free(p);
      reserved_.fetch_sub(static_cast<int64_t>(cls * blocks.size()));
    }
    free_.clear();
    cached_ = 0;
  }

  MemoryStats stats() const {
    return {allocated_.load(), peak_.load(), allocations_.load(), reserved_.load()};
  }
  void reset_peak() { peak_.store(allocated_.load()); }

 private:
  void* take_cached(size_t cls) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = free_.find(cls);
    if (it == free_.end() || it->second.empty()) return nullptr;
    void* p = it->second.back();
    it->second.pop_back();
    cached_ -= static_cast<int64_t>(cls);
    return p;
  }

  void* fresh(size_t cls, size_t nbytes) {
    size_t align = cls >= kHugePage ? kHugePage : kAlign;
    size_t rounded = (cls + align - 1) / align * align;
    void* p = std::aligned_alloc(align, rounded);
    if (p == nullptr) {
      empty_cache();
      p = std::aligned_alloc(align, rounded);
    }
    if (p == nullptr) {
      throw OutOfMemoryError(str("cpu allocator: out of memory allocating ", nbytes,
                                 " bytes; allocated ", allocated_.load(), " bytes, peak ",
                                 peak_.load(), " bytes"));
    }
#ifdef MADV_HUGEPAGE
    if (align == kHugePage) madvise(p, rounded, MADV_HUGEPAGE);
#endif
    reserved_.fetch_add(static_cast<int64_t>(cls));
    return p;
  }

  const int64_t cache_limit_;
  std::mutex mu_;
  std::unordered_map<size_t, std::vector<void*>> free_;
  int64_t cached_ = 0;  // bytes in free_, guarded by mu_
  std::atomic<int64_t> allocated_{0}, peak_{0}, allocations_{0}, reserved_{0};
};

CpuAllocator& cpu_allocator() {
  static CpuAllocator* allocator = new CpuAllocator();  // never destroyed: storages may outlive
  return *allocator;                                    // static destruction order
}

}  // namespace

Storage::Storage(size_t nbytes, Device device) : nbytes_(nbytes), device_(device) {
  if (device.is_cuda()) {
    const int index = device.index;
    data_ = detail::cuda_allocate(nbytes, index);  // checks the index, even for 0 bytes
    deleter_ = [nbytes, index](void* p) { detail::cuda_release(p, nbytes, index); };
    return;
  }
  if (nbytes == 0) return;
  data_ = cpu_allocator().allocate(nbytes);
  deleter_ = [nbytes](void* p) { cpu_allocator().release(p, nbytes); };
}

Storage::Storage(void* data, size_t nbytes, Device device, Deleter deleter)
    : data_(data), nbytes_(nbytes), device_(device), deleter_(std::move(deleter)) {}

Storage::~Storage() {
  if (deleter_ && data_ != nullptr) deleter_(data_);
}

MemoryStats cpu_memory_stats() { return cpu_allocator().stats(); }
void reset_cpu_peak() { cpu_allocator().reset_peak(); }
void empty_cpu_cache() { cpu_allocator().empty_cache(); }

}  // namespace ember
