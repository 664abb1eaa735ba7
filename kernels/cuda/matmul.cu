// The CUDA matmul kernel (GemmArgs: batched C = alpha * A @ B + beta * C, any element strides,
// broadcast batch dims, beta == 0 never reads C), for every dtype the CPU kernel accepts:
// f32, f64, f16, bf16, i8, u8, i32, i64.
//
// Dispatch (docs/internals/cuda.md, "GEMM"):
//  - f16/bf16 on sm_80+: the tensor-core GEMM (gemm_mma.cuh), 128 x 256 or 128 x 128 tiles
//    by problem size; before sm_80, the SIMT GEMM with f32 accumulation.
//  - f32, f64: the SIMT GEMM (gemm_simt.cuh), 128 x 128 x 8 tiles, 8 x 8 per thread.
//  - integers: the SIMT GEMM with i64 accumulation, alpha/beta in double (the CPU's rule).
//  - EMBER_MATMUL (read at every call): `cublas` runs cuBLAS (cublasGemmStridedBatchedEx,
//    f32 accumulation, no TF32) for f32/f16/bf16 whenever the layout allows (each operand
//    unit-stride along one dim, batch dims that fold into one stride), else ember's kernel; it
//    is the yardstick for the benchmarks, never the default, and needs the nvcc build (the
//    emulator throws DeviceError). `simt` forces the SIMT kernels for every dtype;
//    `mma-128x128` / `mma-128x256` force a tensor-core tile (tests, tuning).
// Results are deterministic: no split-K, every output element is reduced by one thread in a
// fixed order.
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <type_traits>

#include "kernels/cuda/check.h"
#include "kernels/cuda/gemm_mma.cuh"
#include "kernels/cuda/gemm_simt.cuh"
#include "kernels/registry.h"

#if defined(__CUDACC__)
#include <cublas_v2.h>

#include <climits>
#include <optional>
#endif

namespace ember::cuda {
namespace {

enum class MatmulPath { kAuto, kCublas, kSimt, kMmaSmall, kMmaLarge };

MatmulPath matmul_path() {
  const char* v = std::getenv("EMBER_MATMUL");
  if (v == nullptr || *v == '\0' || std::strcmp(v, "auto") == 0) return MatmulPath::kAuto;
  if (std::strcmp(v, "cublas") == 0) return MatmulPath::kCublas;
  if (std::strcmp(v, "simt") == 0) return MatmulPath::kSimt;
  if (std::strcmp(v, "mma-128x128") == 0) return MatmulPath::kMmaSmall;
  if (std::strcmp(v, "mma-128x256") == 0) return MatmulPath::kMmaLarge;
  throw ValueError(str("matmul: EMBER_MATMUL=", v, " is not a matmul path; expected one of ",
                       "auto, cublas, simt, mma-128x128, mma-128x256"));
}

// The device facts the dispatch needs, read once per device.
struct GpuInfo {
  int major = 0;
  int sms = 1;
  std::size_t smem_optin = 0;
};

GpuInfo gpu_info(int device) {
  static std::mutex mu;
  static std::map<int, GpuInfo> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(device);
  if (it != cache.end()) return it->second;
  cudaDeviceProp prop;
  EMBER_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  GpuInfo info;
  info.major = prop.major;
  info.sms = prop.multiProcessorCount > 0 ? prop.multiProcessorCount : 1;
  info.smem_optin = prop.sharedMemPerBlockOptin;
  cache.emplace(device, info);
  return info;
}

#if defined(__CUDACC__)

#define EMBER_CUBLAS_CHECK(call)                                                                  \
  do {                                                                                            \
    const cublasStatus_t ember_cublas_status_ = (call);                                           \
    if (ember_cublas_status_ != CUBLAS_STATUS_SUCCESS) {                                          \
      throw DeviceError(str(#call, ": cuBLAS error ", cublasGetStatusName(ember_cublas_status_),  \
                            " (", cublasGetStatusString(ember_cublas_status_), ") at ", __FILE__, \
                            ":", __LINE__));                                                      \
    }                                                                                             \
  } while (0)

// One cuBLAS handle per device, created on first use and kept for the process.
cublasHandle_t cublas_handle(int device) {
  static std::mutex mu;
  static std::map<int, cublasHandle_t> handles;
  std::lock_guard<std::mutex> lock(mu);
  auto it = handles.find(device);
  if (it != handles.end()) return it->second;
  cublasHandle_t h = nullptr;
  EMBER_CUBLAS_CHECK(cublasCreate(&h));
  handles.emplace(device, h);
  return h;
}

// A matrix (rows x cols, element (i, j) at i * rs + j * cs) as cuBLAS sees it: column-major
// with leading dimension ld, or the transpose of one (row-major).
struct BlasLayout {
  bool col_major;
  int64_t ld;
};

std::optional<BlasLayout> blas_layout(int64_t rows, int64_t cols, int64_t rs, int64_t cs) {
  const int64_t r1 = rows > 1 ? rows : 1, c1 = cols > 1 ? cols : 1;
  if (rs == 1 || rows == 1) {
    const int64_t ld = cols == 1 ? r1 : cs;
    if (ld >= r1) return BlasLayout{true, ld};
  }
  if (cs == 1 || cols == 1) {
    const int64_t ld = rows == 1 ? c1 : rs;
    if (ld >= c1) return BlasLayout{false, ld};
  }
  return std::nullopt;
}

// The batch dims folded into one (count, per-operand strides), if their strides allow it.
struct BlasBatch {
  int64_t count = 1, a = 0, b = 0, c = 0;
};

std::optional<BlasBatch> blas_batch(const GemmArgs& g) {
  BlasBatch bb;
  for (int d = 0; d < g.batch_ndim; ++d) {
    const int64_t s = g.batch_sizes[d];
    if (s == 1) continue;
    const int64_t a = g.a_batch_strides[d], b = g.b_batch_strides[d], c = g.c_batch_strides[d];
    if (bb.count > 1 && (bb.a != a * s || bb.b != b * s || bb.c != c * s)) return std::nullopt;
    bb.count *= s;
    bb.a = a;
    bb.b = b;
    bb.c = c;
  }
  return bb;
}

bool fits_int(int64_t v) { return v >= 0 && v <= INT_MAX; }

// C = alpha * A @ B + beta * C with cublasGemmStridedBatchedEx; false when the layout does not
// fit cuBLAS (the caller then runs ember's kernel).
template <typename T>
bool try_cublas(const GemmArgs& g, int device, cudaStream_t stream) {
  cudaDataType_t type;
  if constexpr (std::is_same_v<T, float>) {
    type = CUDA_R_32F;
  } else if constexpr (std::is_same_v<T, f16>) {
    type = CUDA_R_16F;
  } else if constexpr (std::is_same_v<T, bf16>) {
    type = CUDA_R_16BF;
  } else {
    return false;
  }
  if (g.k == 0) return false;
  const std::optional<BlasBatch> bb = blas_batch(g);
  const std::optional<BlasLayout> lc = blas_layout(g.m, g.n, g.rsc, g.csc);
  if (!bb || !lc) return false;
  // cuBLAS writes a column-major X = P @ Q: X = C (P = A, Q = B) when C is column-major, else
  // X = C^T (P = B^T, Q = A^T).
  struct Operand {
    const char* data;
    int64_t rows, cols, rs, cs, batch_stride;
  };
  Operand p, q;
  int64_t xm, xn;
  if (lc->col_major) {
    p = {g.a, g.m, g.k, g.rsa, g.csa, bb->a};
    q = {g.b, g.k, g.n, g.rsb, g.csb, bb->b};
    xm = g.m;
    xn = g.n;
  } else {
    p = {g.b, g.n, g.k, g.csb, g.rsb, bb->b};
    q = {g.a, g.k, g.m, g.csa, g.rsa, bb->a};
    xm = g.n;
    xn = g.m;
  }
  const std::optional<BlasLayout> lp = blas_layout(p.rows, p.cols, p.rs, p.cs);
  const std::optional<BlasLayout> lq = blas_layout(q.rows, q.cols, q.rs, q.cs);
  if (!lp || !lq) return false;
  for (int64_t v : {xm, xn, g.k, lp->ld, lq->ld, lc->ld, bb->count})
    if (!fits_int(v)) return false;
  const float alpha = static_cast<float>(g.alpha), beta = static_cast<float>(g.beta);
  cublasHandle_t h = cublas_handle(device);
  EMBER_CUBLAS_CHECK(cublasSetStream(h, stream));
  EMBER_CUBLAS_CHECK(cublasGemmStridedBatchedEx(
      h, lp->col_major ? CUBLAS_OP_N : CUBLAS_OP_T, lq->col_major ? CUBLAS_OP_N : CUBLAS_OP_T,
      static_cast<int>(xm), static_cast<int>(xn), static_cast<int>(g.k), &alpha, p.data, type,
      static_cast<int>(lp->ld), p.batch_stride, q.data, type, static_cast<int>(lq->ld),
      q.batch_stride, &beta, g.c, type, static_cast<int>(lc->ld), bb->c,
      static_cast<int>(bb->count), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
  return true;
}

#endif  // __CUDACC__

void matmul_kernel(const GemmArgs& g) {
  const MatmulPath path = matmul_path();
#if !defined(__CUDACC__)
  if (path == MatmulPath::kCublas) {
    throw DeviceError(
        "matmul: EMBER_MATMUL=cublas needs cuBLAS, which only the GPU build (nvcc) has; this is "
        "the SIMT emulator build: unset EMBER_MATMUL or set it to auto");
  }
#endif
  dispatch_dtype<kFloat | kInt>(
      g.dtype,
      [&]<typename T>() {
        int64_t batch = 1;
        for (int d = 0; d < g.batch_ndim; ++d) batch *= g.batch_sizes[d];
        if (g.m == 0 || g.n == 0 || batch == 0) return;
        int device = 0;
        EMBER_CUDA_CHECK(cudaGetDevice(&device));
        cudaStream_t stream = nullptr;  // every op runs on the default stream
#if defined(__CUDACC__)
        if (path == MatmulPath::kCublas && try_cublas<T>(g, device, stream)) return;
#endif
        if constexpr (is_half_v<T>) {
          const GpuInfo info = gpu_info(device);
          const bool mma = info.major >= 8 && path != MatmulPath::kSimt;
          if (mma) {
            gemm::MmaTile tile = path == MatmulPath::kMmaSmall   ? gemm::MmaTile::kSmall
                                 : path == MatmulPath::kMmaLarge ? gemm::MmaTile::kLarge
                                                                 : gemm::MmaTile::kAuto;
            if (info.smem_optin < static_cast<std::size_t>(gemm::MmaLarge::kSmemBytes))
              tile = gemm::MmaTile::kSmall;
            gemm::gemm_mma<T>(g, tile, info.sms, device, stream);
            return;
          }
        }
        gemm::gemm_simt<T>(g, stream);
      },
      [&](DType d) {
        throw DTypeError(str("matmul: dtype ", dtype_name(d), " is not supported"));
      });
}

}  // namespace

EMBER_REGISTER_KERNEL(cuda, matmul, &matmul_kernel);

}  // namespace ember::cuda
