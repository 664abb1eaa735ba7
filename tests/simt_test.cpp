// The SIMT emulator (kernels/simt/) and the CUDA portability layer (kernels/cuda/): the kernels
// of tests/simt_kernels.cu against host references under every schedule, race exposure by
// schedules, deadlock and misuse detection, tensor-core fragment layouts, and the device API.
// In a GPU build the same kernels run on the GPU and the emulator-only checks are skipped.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "kernels/cuda/device_api.h"
#include "kernels/error.h"
#include "kernels/half.h"
#include "tests/simt_kernels.h"
#if defined(EMBER_SIMT)
#include "kernels/simt/simt.h"
#endif

namespace ember {
namespace {

namespace st = simt_test;

// Device memory holding n elements of T, freed on scope exit.
template <typename T>
class DeviceBuffer {
 public:
  explicit DeviceBuffer(std::size_t n) : n_(n) {
    p_ = static_cast<T*>(cuda::device_malloc(n * sizeof(T)));
  }
  explicit DeviceBuffer(const std::vector<T>& host) : DeviceBuffer(host.size()) {
    cuda::memcpy_h2d(p_, host.data(), n_ * sizeof(T));
  }
  ~DeviceBuffer() { cuda::device_free(p_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  T* get() const { return p_; }
  std::vector<T> to_host() const {
    std::vector<T> h(n_);
    cuda::memcpy_d2h(h.data(), p_, n_ * sizeof(T));
    return h;
  }

 private:
  std::size_t n_;
  T* p_ = nullptr;
};

bool have_device() { return cuda::device_count() > 0; }
#define EMBER_REQUIRE_DEVICE() \
  if (!have_device()) GTEST_SKIP() << "no CUDA device"
#if defined(EMBER_SIMT)
#define EMBER_REQUIRE_EMULATOR() (void)0
#else
#define EMBER_REQUIRE_EMULATOR() GTEST_SKIP() << "emulator-only behaviour"
#endif

std::vector<float> random_floats(std::size_t n, float lo, float hi, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = d(gen);
  return v;
}

// Runs f once per schedule the emulator offers (once, unchanged, on a GPU), passing its name.
template <typename F>
void for_each_schedule(F&& f) {
#if defined(EMBER_SIMT)
  for (const char* s : {"forward", "reverse", "random:1", "random:77"}) {
    simt::ScopedSchedule scope(simt::parse_schedule(s));
    f(std::string(s));
  }
#else
  f(std::string("gpu"));
#endif
}

template <typename F>
std::string thrown_message(F&& f) {
  try {
    f();
  } catch (const DeviceError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a DeviceError";
  return {};
}

double elapsed_ms(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// --- reductions and races

constexpr int kBlocks = 64, kThreads = 256;

std::vector<double> block_sums_ref(const std::vector<float>& in) {
  std::vector<double> ref(kBlocks, 0.0);
  for (int i = 0; i < kBlocks * kThreads; ++i) ref[i / kThreads] += in[i];
  return ref;
}

// Blocks whose sum is off by more than float rounding.
int wrong_blocks(const std::vector<float>& got, const std::vector<double>& ref) {
  int wrong = 0;
  for (int b = 0; b < kBlocks; ++b) wrong += std::fabs(got[b] - ref[b]) > 1e-4;
  return wrong;
}

TEST(Simt, TreeReductionIsRightUnderEverySchedule) {
  EMBER_REQUIRE_DEVICE();
  for_each_schedule([](const std::string& s) {
    const std::vector<float> in = random_floats(kBlocks * kThreads, -1.0f, 1.0f, 11);
    DeviceBuffer<float> d_in(in), d_out(kBlocks);
    st::tree_reduce(d_in.get(), d_out.get(), kBlocks * kThreads, kBlocks, kThreads, false);
    const std::vector<float> got = d_out.to_host();
    const std::vector<double> ref = block_sums_ref(in);
    for (int b = 0; b < kBlocks; ++b) EXPECT_NEAR(got[b], ref[b], 1e-4) << s << " block " << b;
  });
}

// The point of schedules: a kernel missing a __syncthreads() must fail here, not on a GPU months
// later. In forward order thread t adds s[t + 128] before thread t + 128 has stored it; in
// reverse order the stores happen first and the race stays hidden.
TEST(Simt, MissingBarrierGivesAWrongSumUnderSomeSchedule) {
  EMBER_REQUIRE_EMULATOR();
  int wrong_schedules = 0;
  uint32_t seed = 100;
  for_each_schedule([&](const std::string& s) {
    const std::vector<float> in = random_floats(kBlocks * kThreads, 0.5f, 1.0f, ++seed);
    DeviceBuffer<float> d_in(in), d_out(kBlocks);
    st::tree_reduce(d_in.get(), d_out.get(), kBlocks * kThreads, kBlocks, kThreads, true);
    const int wrong = wrong_blocks(d_out.to_host(), block_sums_ref(in));
    std::printf("[ simt ] racy reduction, %-9s schedule: %2d of %d block sums wrong\n", s.c_str(),
                wrong, kBlocks);
    if (s == "forward") {
      EXPECT_EQ(wrong, kBlocks);
    }
    if (s == "reverse") {
      EXPECT_EQ(wrong, 0);
    }
    wrong_schedules += wrong > 0;
  });
  EXPECT_GE(wrong_schedules, 1);
}

#if defined(EMBER_SIMT)
// The order each block's fibers run in, per barrier phase: [phase][block][i] = thread id.
std::vector<int> run_order(const char* schedule, int blocks, int threads) {
  simt::ScopedSchedule scope(simt::parse_schedule(schedule));
  DeviceBuffer<int> counters(std::vector<int>(2 * blocks, 0)), order(2 * blocks * threads);
  st::record_order(counters.get(), order.get(), blocks, threads);
  return order.to_host();
}

TEST(Simt, SchedulesOrderTheFibersOfEachPhase) {
  const int blocks = 4, threads = 96;
  const std::vector<int> fwd = run_order("forward", blocks, threads);
  const std::vector<int> rev = run_order("reverse", blocks, threads);
  for (int p = 0; p < 2 * blocks; ++p) {
    for (int i = 0; i < threads; ++i) {
      ASSERT_EQ(fwd[p * threads + i], i);
      ASSERT_EQ(rev[p * threads + i], threads - 1 - i);
    }
  }
  // Random: a permutation per block and phase, the same for the same seed whichever OS thread
  // ran the block, different for another seed.
  const std::vector<int> r1 = run_order("random:9", blocks, threads);
  EXPECT_EQ(r1, run_order("random:9", blocks, threads));
  EXPECT_NE(r1, run_order("random:10", blocks, threads));
  for (int p = 0; p < 2 * blocks; ++p) {
    std::vector<int> perm(r1.begin() + p * threads, r1.begin() + (p + 1) * threads);
    EXPECT_NE(perm, std::vector<int>(fwd.begin(), fwd.begin() + threads)) << p;
    std::sort(perm.begin(), perm.end());
    EXPECT_EQ(perm, std::vector<int>(fwd.begin(), fwd.begin() + threads)) << p;
  }
  EXPECT_NE(std::vector<int>(r1.begin(), r1.begin() + threads),
            std::vector<int>(r1.begin() + threads, r1.begin() + 2 * threads));  // blocks differ
  EXPECT_NE(std::vector<int>(r1.begin(), r1.begin() + threads),
            std::vector<int>(r1.begin() + blocks * threads,
                             r1.begin() + (blocks + 1) * threads));  // phases differ
}

TEST(Simt, ScheduleNamesParseAndRoundTrip) {
  EXPECT_EQ(simt::parse_schedule("forward").kind, simt::ScheduleKind::forward);
  EXPECT_EQ(simt::parse_schedule("reverse").kind, simt::ScheduleKind::reverse);
  const simt::Schedule r = simt::parse_schedule("random:123");
  EXPECT_EQ(r.kind, simt::ScheduleKind::random);
  EXPECT_EQ(r.seed, 123u);
  EXPECT_EQ(simt::parse_schedule("random").seed, 0u);
  EXPECT_EQ(simt::to_string(r), "random:123");
  for (const char* bad : {"sideways", "random:", "random:12x", "Forward", ""}) {
    try {
      simt::parse_schedule(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const ValueError& e) {
      EXPECT_EQ(std::string(e.what()),
                std::string("EMBER_SIMT_SCHEDULE: '") + bad +
                    "' is not a schedule; expected forward, reverse, random or random:<seed>");
    }
  }
  EXPECT_THROW(simt::set_stack_size(1024), ValueError);
}
#endif

TEST(Simt, MillionElementSumUnderOneSecond) {
  EMBER_REQUIRE_DEVICE();
  const int n = 1 << 20;
  const std::vector<float> in = random_floats(n, 0.0f, 1.0f, 3);
  double ref = 0.0;
  for (float x : in) ref += x;
  DeviceBuffer<float> d_in(in), d_partial(256), d_out(1);
  for_each_schedule([&](const std::string& s) {
    const auto t0 = std::chrono::steady_clock::now();
    st::sum(d_in.get(), d_partial.get(), d_out.get(), n);
    const double ms = elapsed_ms(t0);
    std::printf("[ simt ] 1M-element sum (256x256 + 1x256 blocks), %-9s: %.1f ms\n", s.c_str(), ms);
    EXPECT_NEAR(d_out.to_host()[0], ref, 1e-5 * ref) << s;
  });
}

// --- warp primitives

// What warp_ops_kernel computes, from the CUDA semantics. `defined[i]` is false where a GPU
// gives an undefined value (a lane reading a lane outside the mask or past a partial warp):
// there the emulator returns the reader's own value, checked only in the emulator.
std::vector<int> warp_ops_ref(const std::vector<int>& in, std::vector<char>& defined) {
  const int threads = static_cast<int>(in.size());
  std::vector<int> out(in.size() * st::kWarpSlots);
  defined.assign(out.size(), 1);
  int odd = 0;
  for (int v : in) odd += v % 2;
  for (int t = 0; t < threads; ++t) {
    const int l = t % 32, base = t - l, lanes = std::min(32, threads - base);
    auto v = [&](int lane) { return in[base + lane]; };
    int* o = &out[t * st::kWarpSlots];
    char* def = &defined[t * st::kWarpSlots];
    auto shfl = [&](int slot, int src, unsigned mask = 0xffffffffu) {
      const bool in_group = src < lanes && (mask >> src & 1u);
      def[slot] = in_group;
      return in_group ? v(src) : v(l);
    };
    o[0] = shfl(0, (l * 7 + 3) % 32);
    o[1] = shfl(1, (l & ~7) + ((l + 1) & 7));
    o[2] = shfl(2, l >= 1 ? l - 1 : l);
    o[3] = shfl(3, (l & 15) >= 5 ? l - 5 : l);
    o[4] = shfl(4, l + 3 < 32 ? l + 3 : l);
    o[5] = shfl(5, (l & 7) + 2 < 8 ? l + 2 : l);
    o[6] = shfl(6, l ^ 1);
    o[7] = shfl(7, (l ^ 8) < (l & ~7) + 8 ? l ^ 8 : l);
    unsigned ballot = 0, match = 0;
    int any7 = 0, sum = 0, mx = INT_MIN;
    for (int k = 0; k < lanes; ++k) {
      ballot |= static_cast<unsigned>(v(k) % 3 == 0) << k;
      any7 |= v(k) % 7 == 0;
      match |= static_cast<unsigned>(v(k) % 4 == v(l) % 4) << k;
      sum += v(k);
      mx = std::max(mx, v(k));
    }
    o[8] = static_cast<int>(ballot);
    o[9] = any7;
    o[10] = 1;
    o[11] = lanes > 13 ? 0 : 1;
    const int x4 = shfl(12, l ^ 4);
    const float half = static_cast<float>(x4) * 0.5f;
    std::memcpy(&o[12], &half, 4);
    o[13] = static_cast<int>(static_cast<double>(shfl(13, l + 1 < 32 ? l + 1 : l)) * 2.0);
    o[14] = shfl(14, l >= 2 ? l - 2 : l) + 1;
    if (l % 2 == 0) {
      unsigned b = 0;
      for (int k = 0; k < lanes; k += 2) b |= static_cast<unsigned>(v(k) % 2) << k;
      o[15] = static_cast<int>(b);
    } else {
      o[15] = -1;
    }
    o[16] = l < 16 ? shfl(16, l + 4, 0xffffu) : -2;
    if (l >= 16) def[16] = 1;
    o[17] = static_cast<int>(match);
    o[18] = sum;
    o[19] = mx;
    o[20] = odd;
    o[21] = v((l + 1) % lanes);
  }
  return out;
}

TEST(Simt, WarpPrimitivesMatchCudaSemantics) {
  EMBER_REQUIRE_DEVICE();
  const bool emulated = cuda::is_emulated();
  // Two full warps, a partial last warp (48 = 32 + 16), and a 2-d block (lanes by linear id).
  for (const auto& [bx, by] : {std::pair{64, 1}, std::pair{48, 1}, std::pair{16, 4}}) {
    const int threads = bx * by;
    std::mt19937 gen(static_cast<uint32_t>(threads + by));
    std::uniform_int_distribution<int> d(1, 1000);
    std::vector<int> in(threads);
    for (int& x : in) x = d(gen);
    std::vector<char> defined;
    const std::vector<int> ref = warp_ops_ref(in, defined);
    for_each_schedule([&](const std::string& s) {
      DeviceBuffer<int> d_in(in), d_out(in.size() * st::kWarpSlots);
      st::warp_ops(d_in.get(), d_out.get(), bx, by);
      const std::vector<int> got = d_out.to_host();
      int mismatches = 0;
      for (std::size_t i = 0; i < got.size(); ++i) {
        if (!defined[i] && !emulated) continue;
        if (got[i] != ref[i] && ++mismatches <= 8) {
          ADD_FAILURE() << "block (" << bx << "," << by << "), " << s << " schedule: thread "
                        << i / st::kWarpSlots << " slot " << i % st::kWarpSlots << ": got "
                        << got[i] << ", expected " << ref[i];
        }
      }
      EXPECT_EQ(mismatches, 0);
    });
  }
}

// --- atomics

TEST(Simt, AtomicsUnderContention) {
  EMBER_REQUIRE_DEVICE();
  const int blocks = 128, threads = 256, n = blocks * threads;
  std::mt19937 gen(17);
  std::uniform_int_distribution<int> d(1, 2000);
  std::vector<int> values(n);
  for (int& x : values) x = d(gen);
  long long sum = 0;
  for (int x : values) sum += x;
  const int vmax = *std::max_element(values.begin(), values.end());
  const int vmin = *std::min_element(values.begin(), values.end());

  st::AtomicCounters init{};
  init.imax = INT_MIN;
  init.imin = INT_MAX;
  init.umin = UINT_MAX;
  init.exch = -1;
  DeviceBuffer<int> d_values(values), d_returned(n);
  DeviceBuffer<st::AtomicCounters> d_c(std::vector<st::AtomicCounters>{init});
  st::atomics(d_values.get(), d_c.get(), d_returned.get(), blocks, threads);
  const st::AtomicCounters c = d_c.to_host()[0];
  EXPECT_EQ(c.count, n);
  EXPECT_EQ(c.fsum, static_cast<float>(n));
  EXPECT_EQ(c.dsum, static_cast<double>(sum));
  EXPECT_EQ(c.usum, static_cast<unsigned long long>(sum) << 24);
  EXPECT_EQ(c.imax, vmax);
  EXPECT_EQ(c.imin, vmin);
  EXPECT_EQ(c.umax, static_cast<unsigned>(vmax) * 3u);
  EXPECT_EQ(c.umin, static_cast<unsigned>(vmin) + 5u);
  EXPECT_EQ(c.cas_sum, sum);
  EXPECT_EQ(c.bits, 0xffffffffu);
  EXPECT_EQ(c.sub, -sum);
  // atomicExch chains: the values returned plus the final one are -1 and every index, once.
  std::vector<int> chain = d_returned.to_host();
  chain.push_back(c.exch);
  std::sort(chain.begin(), chain.end());
  for (int i = 0; i <= n; ++i) ASSERT_EQ(chain[i], i - 1);
}

// --- dynamic shared memory

TEST(Simt, DynamicSharedMemory) {
  EMBER_REQUIRE_DEVICE();
  const int blocks = 8, threads = 128, n = blocks * threads;
  const std::vector<float> in = random_floats(n, -4.0f, 4.0f, 21);
  for_each_schedule([&](const std::string& s) {
    DeviceBuffer<float> d_in(in), d_out(n);
    st::dynamic_smem(d_in.get(), d_out.get(), blocks, threads);
    const std::vector<float> got = d_out.to_host();
    for (int b = 0; b < blocks; ++b) {
      for (int t = 0; t < threads; ++t) {
        const float expected = in[b * threads + threads - 1 - t] +
                               static_cast<float>(2.0 * in[b * threads + (t + 1) % threads]);
        ASSERT_EQ(got[b * threads + t], expected) << s << " block " << b << " thread " << t;
      }
    }
  });
}

TEST(Simt, DynamicSharedMemoryAbove48KiBNeedsTheAttribute) {
  EMBER_REQUIRE_DEVICE();
  const std::size_t bytes = 64 * 1024, n = bytes / sizeof(float);
  const std::vector<float> in = random_floats(n, -1.0f, 1.0f, 8);
  DeviceBuffer<float> d_in(in), d_out(n);
  const std::string msg =
      thrown_message([&] { st::big_dynamic_smem(d_in.get(), d_out.get(), bytes, false); });
  if (cuda::is_emulated()) {
    EXPECT_NE(msg.find("65536 bytes of dynamic shared memory exceed the kernel's limit of 49152"),
              std::string::npos)
        << msg;
  }
  st::big_dynamic_smem(d_in.get(), d_out.get(), bytes, true);
  const std::vector<float> got = d_out.to_host();
  for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(got[i], in[n - 1 - i]) << i;
}

// --- tensor cores

// Random values exactly representable in T, as bits, and as floats.
template <typename T>
void random_halves(std::size_t n, uint32_t seed, std::vector<uint16_t>& bits,
                   std::vector<float>& values) {
  const std::vector<float> f = random_floats(n, -2.0f, 2.0f, seed);
  bits.resize(n);
  values.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const T h(f[i]);
    bits[i] = h.bits;
    values[i] = static_cast<float>(h);
  }
}

// Products of 16-bit floats are exact in f32; the f32 accumulation of 16 of them is the only
// rounding (the tensor core's order is unspecified).
void expect_matmul(const std::vector<float>& got, const std::vector<float>& A,
                   const std::vector<float>& B, const std::vector<float>* C, int n_cols, int b_ld,
                   const std::string& what) {
  for (int i = 0; i < 16; ++i) {
    for (int j = 0; j < n_cols; ++j) {
      double ref = C ? (*C)[i * n_cols + j] : 0.0;
      for (int k = 0; k < 16; ++k) ref += static_cast<double>(A[i * 16 + k]) * B[k * b_ld + j];
      ASSERT_NEAR(got[i * n_cols + j], ref, 1e-4 + 1e-5 * std::fabs(ref))
          << what << " D[" << i << "][" << j << "]";
    }
  }
}

template <typename T>
void check_mma_fragments(bool bf16, const char* what) {
  std::vector<uint16_t> a_bits, b_bits;
  std::vector<float> A, B;
  random_halves<T>(256, 31, a_bits, A);
  random_halves<T>(128, 32, b_bits, B);
  const std::vector<float> C = random_floats(128, -8.0f, 8.0f, 33);
  DeviceBuffer<uint16_t> d_a(a_bits), d_b(b_bits);
  DeviceBuffer<float> d_c(C), d_d(128);
  st::mma_fragments(d_a.get(), d_b.get(), d_c.get(), d_d.get(), bf16);
  expect_matmul(d_d.to_host(), A, B, &C, 8, 8, what);
}

TEST(Simt, MmaM16n8k16FragmentLayout) {
  EMBER_REQUIRE_DEVICE();
  check_mma_fragments<f16>(false, "f16");
  check_mma_fragments<bf16>(true, "bf16");
}

template <typename T>
void check_mma_ldmatrix(bool bf16, const char* what) {
  std::vector<uint16_t> a_bits, b_bits;
  std::vector<float> A, B;
  random_halves<T>(256, 41, a_bits, A);
  random_halves<T>(256, 42, b_bits, B);
  std::vector<uint16_t> bt_bits(128);  // B[:, :8] transposed: Bt[n][k] = B[k][n]
  for (int n = 0; n < 8; ++n) {
    for (int k = 0; k < 16; ++k) bt_bits[n * 16 + k] = b_bits[k * 16 + n];
  }
  DeviceBuffer<uint16_t> d_a(a_bits), d_b(b_bits), d_bt(bt_bits);
  DeviceBuffer<float> d_d(256), d_d8(128);
  st::mma_ldmatrix(d_a.get(), d_b.get(), d_bt.get(), d_d.get(), d_d8.get(), bf16);
  const std::vector<float> D = d_d.to_host(), D8 = d_d8.to_host();
  expect_matmul(D, A, B, nullptr, 16, 16, std::string(what) + " ldmatrix_x4/x4_trans");
  // The x2 load of the transposed tile feeds the same instruction the same fragment.
  for (int i = 0; i < 16; ++i) {
    for (int j = 0; j < 8; ++j) ASSERT_EQ(D8[i * 8 + j], D[i * 16 + j]) << what << " ldmatrix_x2";
  }
}

TEST(Simt, MmaFedByCpAsyncAndLdmatrix) {
  EMBER_REQUIRE_DEVICE();
  check_mma_ldmatrix<f16>(false, "f16");
  check_mma_ldmatrix<bf16>(true, "bf16");
}

TEST(Simt, CpAsyncLandsAtTheWait) {
  EMBER_REQUIRE_DEVICE();
  const std::vector<float> src = random_floats(384, 1.0f, 2.0f, 51);
  DeviceBuffer<float> d_src(src), before(32), after(128), zero(128), first(128), second(32);
  st::cp_async(d_src.get(), before.get(), after.get(), zero.get(), first.get(), second.get());
  const std::vector<float> a = after.to_host(), z = zero.to_host(), f = first.to_host();
  for (int i = 0; i < 128; ++i) {
    ASSERT_EQ(a[i], src[i]) << i;
    ASSERT_EQ(z[i], 0.0f) << i;
    ASSERT_EQ(f[i], src[128 + i]) << i;
  }
  if (cuda::is_emulated()) {
    // The emulator performs a copy at the wait that covers it: reads before see the old tile.
    for (float x : before.to_host()) EXPECT_EQ(x, -1.0f);
    for (float x : second.to_host()) EXPECT_EQ(x, -1.0f);
  }
}

// --- GEMM

TEST(Simt, TiledGemm128UnderOneSecond) {
  EMBER_REQUIRE_DEVICE();
  const int M = 128, N = 128, K = 128;
  const std::vector<float> A = random_floats(M * K, -1.0f, 1.0f, 61);
  const std::vector<float> B = random_floats(K * N, -1.0f, 1.0f, 62);
  std::vector<double> ref(M * N, 0.0);
  for (int i = 0; i < M; ++i) {
    for (int k = 0; k < K; ++k) {
      for (int j = 0; j < N; ++j)
        ref[i * N + j] += static_cast<double>(A[i * K + k]) * B[k * N + j];
    }
  }
  DeviceBuffer<float> d_a(A), d_b(B);
  for_each_schedule([&](const std::string& s) {
    DeviceBuffer<float> d_c(M * N);
    cuda::device_memset(d_c.get(), 0xff, M * N * sizeof(float));  // NaN: every element written?
    const auto t0 = std::chrono::steady_clock::now();
    st::tiled_gemm(d_a.get(), d_b.get(), d_c.get(), M, N, K);
    const double ms = elapsed_ms(t0);
    std::printf("[ simt ] 128x128x128 tiled GEMM (64 blocks x 256 threads), %-9s: %.1f ms\n",
                s.c_str(), ms);
    const std::vector<float> C = d_c.to_host();
    // f32 sums of 128 products of magnitude <= 1: a few ulps of the partial sums.
    for (int i = 0; i < M * N; ++i) ASSERT_NEAR(C[i], ref[i], 1e-4) << s << " element " << i;
  });
}

// --- deadlocks and misuse (the emulator's diagnostics; on a GPU these kernels hang or are UB)

#if defined(EMBER_SIMT)
class SimtDiagnostics : public ::testing::Test {
 protected:
  void SetUp() override { out_ = std::make_unique<DeviceBuffer<int>>(1024); }
  void TearDown() override {
    // The emulator must be usable after an aborted launch.
    DeviceBuffer<int> d(2 * 2 * 32);
    st::launch_with(2, 2, 8, 4, d.get());
    const std::vector<int> got = d.to_host();
    for (int b = 0; b < 4; ++b) {
      for (int t = 0; t < 32; ++t) ASSERT_EQ(got[b * 32 + t], b * 10000 + t);
    }
  }
  int* out() { return out_->get(); }
  std::unique_ptr<DeviceBuffer<int>> out_;
};

std::string site(int line) { return "simt_kernels.cu:" + std::to_string(line); }

TEST_F(SimtDiagnostics, BarrierAfterAnEarlyReturnIsADeadlock) {
  const std::string msg = thrown_message([&] { st::early_exit(out(), 2); });
  EXPECT_EQ(msg,
            "simt launch of early_exit_kernel<<<(2,1,1), (64,1,1), 0>>>: deadlock in block "
            "(0,0,0): threads (1,0,0)..(63,0,0) wait at __syncthreads() (" +
                site(st::early_exit_barrier_line()) +
                ") but thread (0,0,0) has exited; every thread of a block must reach each "
                "__syncthreads()");
}

TEST_F(SimtDiagnostics, LaunchWithoutANameStillReportsTheBlockAndLine) {
  const std::string msg = thrown_message([&] { st::early_exit_unnamed(out()); });
  EXPECT_EQ(msg.rfind("simt launch of ", 0), 0u) << msg;
  EXPECT_NE(msg.find("deadlock in block (0,0,0): threads (1,0,0)..(63,0,0) wait at "
                     "__syncthreads() (" +
                     site(st::early_exit_barrier_line()) + ")"),
            std::string::npos)
      << msg;
}

TEST_F(SimtDiagnostics, ShuffleWithAnExitedLaneIsADeadlock) {
  const std::string msg = thrown_message([&] { st::warp_lane_exit(out()); });
  EXPECT_NE(msg.find("warp_lane_exit_kernel<<<(1,1,1), (64,1,1), 0>>>: deadlock in block "
                     "(0,0,0): lane 0 of warp 0 (thread (0,0,0)) waits at __shfl_down_sync ("),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find(") with mask 0xffffffff but lane 5 (thread (5,0,0)) has exited; every lane "
                     "named in the mask must reach the same warp collective"),
            std::string::npos)
      << msg;
}

TEST_F(SimtDiagnostics, MaskWithoutTheCallingLane) {
  simt::ScopedSchedule forward(simt::parse_schedule("forward"));
  const std::string msg = thrown_message([&] { st::mask_without_caller(out()); });
  EXPECT_NE(msg.find("block (0,0,0) thread (1,0,0): __ballot_sync (simt_kernels.cu:"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find(") called with mask 0x00000001, which does not include the calling lane 1"),
            std::string::npos)
      << msg;
}

TEST_F(SimtDiagnostics, DifferentBarriersInOneBlock) {
  const std::string msg = thrown_message([&] { st::divergent_barriers(out()); });
  EXPECT_NE(msg.find("block (0,0,0): thread (0,0,0) waits at __syncthreads() (simt_kernels.cu:"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("but thread (32,0,0) at __syncthreads() (simt_kernels.cu:"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("every thread of a block must reach the same barrier"), std::string::npos);
}

TEST_F(SimtDiagnostics, DifferentCollectivesInOneWarp) {
  const std::string msg = thrown_message([&] { st::mixed_collectives(out()); });
  EXPECT_NE(msg.find("lanes of warp 0 meet at different warp collectives"), std::string::npos)
      << msg;
}

TEST_F(SimtDiagnostics, TrapNamesTheThread) {
  const std::string msg = thrown_message([&] { st::trap(out()); });
  EXPECT_NE(msg.find("trap_kernel<<<(2,1,1), (32,1,1), 0>>>: block (1,0,0) thread (3,0,0): "
                     "__trap() called (simt_kernels.cu:"),
            std::string::npos)
      << msg;
}

TEST_F(SimtDiagnostics, InvalidLaunchConfigurations) {
  EXPECT_EQ(thrown_message([&] { st::launch_with(1, 1, 2048, 1, out()); }),
            "simt launch of write_index_kernel<<<(1,1,1), (2048,1,1), 0>>>: invalid block size "
            "(2048,1,1) (2048 threads); expected at most 1024 threads, (1024,1024,64) per "
            "dimension");
  EXPECT_EQ(thrown_message([&] { st::launch_with(1, 70000, 32, 1, out()); }),
            "simt launch of write_index_kernel<<<(1,70000,1), (32,1,1), 0>>>: invalid grid size "
            "(1,70000,1); expected every dimension >= 1 and at most (2147483647,65535,65535)");
  EXPECT_THROW(st::launch_with(0, 1, 32, 1, out()), DeviceError);
}
#endif

#if defined(EMBER_SIMT) && defined(__SANITIZE_ADDRESS__)
// Built with AddressSanitizer, the emulator is the CPU's compute-sanitizer memcheck.
TEST(SimtSanitizer, OutOfBoundsDeviceWriteIsCaught) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        DeviceBuffer<int> d(50);  // not a multiple of the 256-byte alignment
        st::write_past_end(d.get(), 50);
      },
      "heap-buffer-overflow");
}
#endif

// --- the device API

TEST(SimtDeviceApi, PropertiesCopiesStreamsEvents) {
  EMBER_REQUIRE_DEVICE();
  const cuda::DeviceProperties p = cuda::device_properties();
  EXPECT_EQ(p.emulated, cuda::is_emulated());
  EXPECT_EQ(p.warp_size, 32);
  EXPECT_GT(p.total_memory, 0u);
  if (cuda::is_emulated()) {
    EXPECT_EQ(cuda::device_count(), 1);
    EXPECT_EQ(p.name, "SIMT emulator");
    EXPECT_EQ(p.major, 8);
    EXPECT_EQ(p.shared_memory_per_block, 48u * 1024);
  }
  std::vector<int> host(1000);
  for (int i = 0; i < 1000; ++i) host[i] = i * 7 - 300;
  cuda::Stream s = cuda::stream_create();
  cuda::Event start = cuda::event_create(), end = cuda::event_create();
  cuda::event_record(start, s);
  DeviceBuffer<int> a(1000), b(1000);
  cuda::memcpy_h2d(a.get(), host.data(), 1000 * sizeof(int), s);
  cuda::memcpy_d2d(b.get(), a.get(), 1000 * sizeof(int), s);
  cuda::device_memset(a.get(), 0, 1000 * sizeof(int), s);
  cuda::event_record(end, s);
  cuda::stream_synchronize(s);
  cuda::event_synchronize(end);
  EXPECT_GE(cuda::event_elapsed_ms(start, end), 0.0f);
  EXPECT_EQ(b.to_host(), host);
  EXPECT_EQ(a.to_host(), std::vector<int>(1000, 0));
  cuda::event_destroy(start);
  cuda::event_destroy(end);
  cuda::stream_destroy(s);
  cuda::device_synchronize();
  EXPECT_EQ(cuda::device_malloc(0), nullptr);
  cuda::device_free(nullptr);
}

TEST(SimtDeviceApi, FailuresNameTheCallAndTheCudaError) {
  EMBER_REQUIRE_DEVICE();
  try {
    cuda::set_device(12345);
    ADD_FAILURE() << "set_device(12345) did not throw";
  } catch (const DeviceError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind("cudaSetDevice(device): CUDA error cudaErrorInvalidDevice (invalid device "
                        "ordinal) at ",
                        0),
              0u)
        << msg;
    EXPECT_NE(msg.find("device_api.cu:"), std::string::npos) << msg;
  }
  try {
    cuda::device_malloc(std::size_t{1} << 62);
    ADD_FAILURE() << "a 4 EiB allocation succeeded";
  } catch (const OutOfMemoryError& e) {
    EXPECT_NE(std::string(e.what()).find("cudaMalloc(&p, bytes): CUDA error "
                                         "cudaErrorMemoryAllocation (out of memory)"),
              std::string::npos)
        << e.what();
  }
  // The failed calls left no error behind for the next launch check.
  DeviceBuffer<int> d(32);
  st::launch_with(1, 1, 32, 1, d.get());
  EXPECT_EQ(d.to_host()[31], 31);
}

}  // namespace
}  // namespace ember
