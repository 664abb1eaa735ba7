// The CUDA caching allocator behind Storage(nbytes, Device::cuda(i)), on the portability layer
// (kernels/cuda/device_api.h), so it serves the GPU build and the SIMT emulator alike.
//
// cudaMalloc/cudaFree synchronise the device and cost far more than a kernel on a small tensor,
// so freed blocks go to per-(device, size class) free lists and are handed out again. Classes:
// multiples of 512 bytes up to 1 MiB, then eight steps per power of two (at most 12.5% waste).
// EMBER_CUDA_CACHING=0 frees every block at once (for memory debugging). When cudaMalloc fails,
// the cache is returned to the device and the allocation retried before OutOfMemoryError.
// New and reused blocks are filled with 0xFF under EMBER_DEBUG_POISON, like the CPU allocator.
// The cache is not stream-aware: every op runs on the default stream, so a block freed by the
// host is free for the next kernel in stream order. Per-stream pools come with multi-stream use.
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "kernels/error.h"
#include "tensor/storage.h"

#if defined(EMBER_CUDA_BACKEND)
#include "kernels/cuda/device_api.h"

namespace ember {

namespace {

bool env_flag(const char* name, bool fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  return std::strcmp(v, "0") != 0;
}

size_t cuda_size_class(size_t nbytes) {
  constexpr size_t kSmall = 512, kLarge = size_t{1} << 20;
  if (nbytes <= kLarge) return (nbytes + kSmall - 1) / kSmall * kSmall;
  size_t top = size_t{1} << (63 - __builtin_clzll(nbytes - 1));  // largest power of 2 < nbytes
  size_t step = top / 8;
  return (nbytes + step - 1) / step * step;
}

class CudaAllocator {
 public:
  CudaAllocator()
      : caching_(env_flag("EMBER_CUDA_CACHING", true)),
        poison_(env_flag("EMBER_DEBUG_POISON", false)) {}

  void* allocate(size_t nbytes, int device) {
    const size_t cls = cuda_size_class(nbytes);
    std::lock_guard<std::mutex> lock(mu_);
    void* p = nullptr;
    auto it = free_.find({device, cls});
    if (it != free_.end() && !it->second.empty()) {
      p = it->second.back();
      it->second.pop_back();
    } else {
      p = fresh(nbytes, cls, device);
    }
    if (poison_) {
      cuda::set_device(device);
      cuda::device_memset(p, 0xFF, cls);
    }
    stats_.allocated += static_cast<int64_t>(cls);
    stats_.peak = std::max(stats_.peak, stats_.allocated);
    ++stats_.allocations;
    return p;
  }

  void release(void* p, size_t nbytes, int device) {
    const size_t cls = cuda_size_class(nbytes);
    std::lock_guard<std::mutex> lock(mu_);
    stats_.allocated -= static_cast<int64_t>(cls);
    if (caching_) {
      free_[{device, cls}].push_back(p);
      return;
    }
    cuda::set_device(device);
    cuda::device_free(p);
    stats_.reserved -= static_cast<int64_t>(cls);
  }

  void empty_cache() {
    std::lock_guard<std::mutex> lock(mu_);
    empty_cache_locked();
  }

  MemoryStats stats() {
    std::lock_guard<std::mutex> lock(mu_);
    return stats_;
  }
  void reset_peak() {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.peak = stats_.allocated;
  }

 private:
  void empty_cache_locked() {
    for (auto& [key, blocks] : free_) {
      cuda::set_device(key.first);
      for (void* p : blocks) cuda::device_free(p);
      stats_.reserved -= static_cast<int64_t>(key.second * blocks.size());
    }
    free_.clear();
  }

  void* fresh(size_t nbytes, size_t cls, int device) {
    cuda::set_device(device);
    void* p = nullptr;
    try {
      p = cuda::device_malloc(cls);
    } catch (const OutOfMemoryError&) {
      empty_cache_locked();
      cuda::set_device(device);
      try {
        p = cuda::device_malloc(cls);
      } catch (const OutOfMemoryError&) {
        throw OutOfMemoryError(str(
            "cuda allocator: out of memory allocating ", nbytes, " bytes on cuda:", device,
            "; the device has ", cuda::free_memory(), " bytes free, ember holds ", stats_.allocated,
            " bytes (peak ", stats_.peak, " bytes) after returning its cache"));
      }
    }
    stats_.reserved += static_cast<int64_t>(cls);
    return p;
  }

  const bool caching_;
  const bool poison_;
  std::mutex mu_;
  std::map<std::pair<int, size_t>, std::vector<void*>> free_;  // guarded by mu_
  MemoryStats stats_;                                          // guarded by mu_
};

CudaAllocator& cuda_allocator() {
  static CudaAllocator* allocator = new CudaAllocator();  // never destroyed: storages may
  return *allocator;                                      // outlive static destruction order
}

}  // namespace

namespace detail {
void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, size_t nbytes) {
  if (nbytes == 0) return;
  if (src_device.is_cpu()) {
    cuda::set_device(dst_device.index);
    cuda::memcpy_h2d(dst, src, nbytes);
  } else if (dst_device.is_cpu()) {
    cuda::set_device(src_device.index);
    cuda::memcpy_d2h(dst, src, nbytes);
  } else {
    cuda::set_device(dst_device.index);  // unified addressing: any device may copy
    cuda::memcpy_d2d(dst, src, nbytes);
  }
}

void* cuda_allocate(size_t nbytes, int device) {
  static const int count = cuda::device_count();  // fixed for the process's lifetime
  if (device < 0 || device >= count) {
    throw DeviceError(str("storage: cannot allocate on cuda:", device, "; this machine has ", count,
                          " cuda device(s)", cuda::is_emulated() ? " (SIMT emulator)" : ""));
  }
  if (nbytes == 0) return nullptr;
  return cuda_allocator().allocate(nbytes, device);
}
void cuda_release(void* p, size_t nbytes, int device) {
  cuda_allocator().release(p, nbytes, device);
}
}  // namespace detail

MemoryStats cuda_memory_stats() { return cuda_allocator().stats(); }
void reset_cuda_peak() { cuda_allocator().reset_peak(); }
void empty_cuda_cache() { cuda_allocator().empty_cache(); }

}  // namespace ember

#else  // a build without the CUDA backend: no cuda storage can exist

namespace ember {

namespace detail {
void* cuda_allocate(size_t, int device) {
  throw DeviceError(str("storage: cannot allocate on cuda:", device,
                        "; this build of ember has no cuda backend (configure with the SIMT "
                        "emulator or -DEMBER_CUDA=ON)"));
}
void cuda_release(void*, size_t, int) {}
void copy_bytes(void*, Device dst_device, const void*, Device src_device, size_t) {
  throw DeviceError(str("to: cannot copy from ", src_device.str(), " to ", dst_device.str(),
                        "; this build of ember has no cuda backend"));
}
}  // namespace detail

MemoryStats cuda_memory_stats() { return {}; }
void reset_cuda_peak() {}
void empty_cuda_cache() {}

}  // namespace ember

#endif
