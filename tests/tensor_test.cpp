// The tensor layer: f16/bf16 conversions, shapes and views, copies and casts, factories,
// element access, printing, promotion, and the errors each of them raises.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "kernels/registry.h"
#include "tensor/ops.h"
#include "tests/test_util.h"
#include "tensor/promotion.h"

namespace ember {
namespace {

Tensor iota(const Shape& shape, DType dtype = DType::f32) {
  return arange(static_cast<double>(shape.numel()), dtype).view(shape);
}

TEST(Half, F16RoundTripsEveryValue) {
  for (uint32_t b = 0; b < 0x10000; ++b) {
    f16 h = f16::from_bits(static_cast<uint16_t>(b));
    float f = h;
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(static_cast<float>(f16(f))));
      continue;
    }
    EXPECT_EQ(f16(f).bits, b) << "bits " << b;
  }
}

TEST(Half, F16RoundsToNearestEven) {
  // 1 + 2^-11 is halfway between 1 and the next f16 (1 + 2^-10): ties go to even (1).
  EXPECT_EQ(f16(1.0f + std::ldexp(1.0f, -11)).bits, f16(1.0f).bits);
  // 1 + 3 * 2^-11 is halfway between 1 + 2^-10 (odd) and 1 + 2^-9 (even).
  EXPECT_EQ(static_cast<float>(f16(1.0f + 3 * std::ldexp(1.0f, -11))), 1.0f + std::ldexp(1.0f, -9));
  EXPECT_EQ(static_cast<float>(f16(65504.0f)), 65504.0f);
  EXPECT_TRUE(std::isinf(static_cast<float>(f16(65520.0f))));
  EXPECT_EQ(static_cast<float>(f16(std::ldexp(1.0f, -24))), std::ldexp(1.0f, -24));  // subnormal
  EXPECT_EQ(static_cast<float>(f16(std::ldexp(1.0f, -26))), 0.0f);
}

TEST(Half, Bf16RoundsToNearestEven) {
  EXPECT_EQ(static_cast<float>(bf16(1.0f + std::ldexp(1.0f, -8))), 1.0f);  // tie -> even
  EXPECT_EQ(static_cast<float>(bf16(1.0f + 3 * std::ldexp(1.0f, -8))), 1.0f + std::ldexp(1.0f, -6));
  EXPECT_TRUE(std::isnan(static_cast<float>(bf16(NAN))));
  for (uint32_t b = 0; b < 0x10000; b += 7) {
    bf16 h = bf16::from_bits(static_cast<uint16_t>(b));
    if (std::isnan(static_cast<float>(h))) continue;
    EXPECT_EQ(bf16(static_cast<float>(h)).bits, b);
  }
}

TEST(Shape, BroadcastsLikeNumPy) {
  EXPECT_EQ(broadcast_shapes({7, 1, 5}, {3, 5}, "t"), (Shape{7, 3, 5}));
  EXPECT_EQ(broadcast_shapes({}, {2, 3}, "t"), (Shape{2, 3}));
  EXPECT_EQ(broadcast_shapes({0, 1}, {1, 4}, "t"), (Shape{0, 4}));
  EXPECT_THROW_MSG(broadcast_shapes({3, 4}, {5}, "add"), ShapeError, "add", "[3, 4]", "[5]");
  EXPECT_THROW_MSG(Shape::filled(9, 1), ShapeError, "at most 8 dims");
}

TEST(Views, ShareStorageAndMapElements) {
  Tensor x = iota({2, 3, 4});
  Tensor p = x.permute({2, 0, 1});
  EXPECT_TRUE(p.shares_storage(x));
  EXPECT_EQ(p.shape(), (Shape{4, 2, 3}));
  EXPECT_EQ(p.at<float>({3, 1, 2}), x.at<float>({1, 2, 3}));
  Tensor s = x.slice(2, 1, {}, 2);  // columns 1 and 3
  EXPECT_EQ(s.shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(s.at<float>({1, 2, 1}), x.at<float>({1, 2, 3}));
  EXPECT_EQ(x.select(1, -1).at<float>({1, 0}), x.at<float>({1, 2, 0}));
  EXPECT_EQ(x.narrow(0, 1, 1).shape(), (Shape{1, 3, 4}));
  EXPECT_EQ(x.transpose(0, 2).shape(), (Shape{4, 3, 2}));
  Tensor col = iota({3, 1});
  Tensor e = col.expand({2, 3, 5});
  EXPECT_EQ(e.strides(), (Strides{0, 1, 0}));
  EXPECT_EQ(e.at<float>({1, 2, 4}), 2.0f);
  EXPECT_EQ(iota({1, 3, 1}).squeeze().shape(), (Shape{3}));
  EXPECT_EQ(iota({1, 3, 1}).squeeze(0).shape(), (Shape{3, 1}));
  EXPECT_EQ(iota({3}).unsqueeze(-1).shape(), (Shape{3, 1}));
  EXPECT_EQ(x.flatten(1).shape(), (Shape{2, 12}));
  EXPECT_EQ(x.flatten(0, 1).unflatten(0, {3, -1}).shape(), (Shape{3, 2, 4}));
  // Writes through a view reach the base.
  x.select(0, 1).select(0, 2).fill_(-1.0);
  EXPECT_EQ(x.at<float>({1, 2, 3}), -1.0f);
  EXPECT_EQ(x.at<float>({0, 2, 3}), 11.0f);
}

TEST(Views, ViewVersusReshape) {
  Tensor x = iota({4, 6});
  EXPECT_TRUE(x.view({2, -1, 3}).shares_storage(x));
  Tensor t = x.t();  // [6, 4], not contiguous
  EXPECT_FALSE(t.is_contiguous());
  EXPECT_THROW_MSG(t.view({24}), ShapeError, "view", "[6, 4]", "contiguous");
  Tensor r = t.reshape({24});
  EXPECT_FALSE(r.shares_storage(x));
  EXPECT_EQ(r.to_vector<float>()[1], 6.0f);
  // Splitting a dim of a transposed tensor is still a view.
  EXPECT_TRUE(t.view({2, 3, 4}).shares_storage(x));
  EXPECT_EQ(t.view({2, 3, 4}).at<float>({1, 2, 3}), t.at<float>({5, 3}));
  EXPECT_THROW_MSG(x.view({5, -1}), ShapeError, "view", "[5, -1]", "24");
  EXPECT_THROW_MSG(x.view({-1, -1}), ShapeError, "only one dim can be -1");
  EXPECT_EQ(zeros({0, 3}).view({3, 0, 2}).shape(), (Shape{3, 0, 2}));
  EXPECT_THROW_MSG(zeros({0, 3}).view({3, 0, -1}), ShapeError, "view", "[3, 0, -1]");
}

TEST(Views, Errors) {
  Tensor x = iota({2, 3});
  EXPECT_THROW_MSG(x.permute({0, 0}), ShapeError, "permute", "repeats");
  EXPECT_THROW_MSG(x.permute({0}), ShapeError, "permute");
  EXPECT_THROW_MSG(x.select(1, 3), IndexError, "select", "3", "size 3");
  EXPECT_THROW_MSG(x.transpose(0, 2), IndexError, "transpose", "dim 2");
  EXPECT_THROW_MSG(x.expand({4, 3}), ShapeError, "expand", "[2, 3]", "[4, 3]");
  EXPECT_THROW_MSG(x.narrow(1, 2, 2), IndexError, "narrow");
  EXPECT_THROW_MSG(x.slice(0, 0, 1, 0), ValueError, "step");
  EXPECT_THROW_MSG(x.as_strided({3, 3}, {3, 1}), ShapeError, "as_strided", "outside");
  EXPECT_THROW_MSG(x.item(), ValueError, "item", "6 elements");
  EXPECT_THROW_MSG(x.data<double>(), DTypeError, "f32", "f64");
  EXPECT_THROW_MSG(x.at<float>({2, 0}), IndexError, "at", "[2, 0]");
  EXPECT_THROW_MSG(Tensor().dim(), ValueError, "undefined");
}

TEST(Copies, ContiguousCloneAndCast) {
  Tensor x = iota({3, 5});
  EXPECT_TRUE(x.contiguous().shares_storage(x));
  Tensor t = x.t().contiguous();
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_EQ(t.to_vector<float>()[1], 5.0f);
  Tensor c = x.clone();
  c.fill_(0.0);
  EXPECT_EQ(x.at<float>({2, 4}), 14.0f);
  // Casts round to nearest even and saturate nothing silently: f32 -> f16 -> f32.
  Tensor h = from_vector<float>({1.0f, 0.1f, 65504.0f, -2.5f}).to(DType::f16);
  EXPECT_EQ(h.dtype(), DType::f16);
  EXPECT_EQ(h.to(DType::f32).to_vector<float>()[1], static_cast<float>(f16(0.1f)));
  EXPECT_EQ(from_vector<float>({-2.7f, 0.0f, 3.9f}).to(DType::i32).to_vector<int32_t>(),
            (std::vector<int32_t>{-2, 0, 3}));
  EXPECT_EQ(from_vector<float>({-2.7f, 0.0f, 0.5f}).to(DType::b8).to_vector<bool>(),
            (std::vector<bool>{true, false, true}));
  EXPECT_EQ(from_vector<int64_t>({5, -1}).to(DType::bf16).to_vector<double>(),
            (std::vector<double>{5, -1}));
}

TEST(Copies, CopyBroadcastsIntoStridedViews) {
  Tensor dst = zeros({4, 6}, DType::f64);
  Tensor cols = dst.slice(1, 0, {}, 2);  // [4, 3] every other column
  cols.copy_(from_vector<float>({1, 2, 3}));
  std::vector<double> v = dst.to_vector<double>();
  EXPECT_EQ(v[0], 1.0);
  EXPECT_EQ(v[1], 0.0);
  EXPECT_EQ(v[2], 2.0);
  EXPECT_EQ(v[23], 0.0);
  EXPECT_EQ(v[22], 3.0);
  uint64_t before = dst.storage()->version();
  cols.copy_(scalar_tensor(9));
  EXPECT_GT(dst.storage()->version(), before);
  EXPECT_THROW_MSG(cols.copy_(zeros({4, 2})), ShapeError, "copy_");
}

TEST(Copies, LargeStridedCopyMatchesElementAccess) {
  // Big enough to run on several threads.
  Tensor x = randn({301, 257}, DType::f64);
  Tensor t = x.t().contiguous();
  for (int64_t i : {0L, 1L, 100L, 256L})
    for (int64_t j : {0L, 7L, 300L}) EXPECT_EQ(t.at<double>({i, j}), x.at<double>({j, i}));
}

TEST(Factories, Values) {
  EXPECT_EQ(arange(5).dtype(), DType::i64);
  EXPECT_EQ(arange(5).to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(arange(0.0, 1.0, 0.25).to_vector<float>(), (std::vector<float>{0, 0.25, 0.5, 0.75}));
  EXPECT_EQ(arange(5.0, 0.0, -2.0).to_vector<int64_t>(), (std::vector<int64_t>{5, 3, 1}));
  EXPECT_THROW_MSG(arange(0.0, 5.0, -1.0), ValueError, "arange", "wrong sign");
  EXPECT_THROW_MSG(arange(0.0, 1.0, 0.0), ValueError, "nonzero");
  std::vector<double> l = linspace(-1, 1, 5, DType::f64).to_vector<double>();
  EXPECT_EQ(l, (std::vector<double>{-1, -0.5, 0, 0.5, 1}));
  EXPECT_EQ(linspace(0, 1, 1).to_vector<float>(), (std::vector<float>{0}));
  EXPECT_EQ(eye(2, 3).to_vector<float>(), (std::vector<float>{1, 0, 0, 0, 1, 0}));
  EXPECT_EQ(full({2}, 7, DType::i32).to_vector<int32_t>(), (std::vector<int32_t>{7, 7}));
  EXPECT_EQ(ones({0, 3}).numel(), 0);
  EXPECT_EQ(scalar_tensor(2.5).item<float>(), 2.5f);
  EXPECT_THROW_MSG(empty({2, -1}), ShapeError, "negative");
  EXPECT_THROW_MSG(from_vector<float>({1, 2, 3}, Shape{2, 2}), ShapeError, "3 values");
}

TEST(Factories, RangesRejectBool) {
  EXPECT_THROW_MSG(arange(0, 4, 1, DType::b8), DTypeError, "arange: dtype bool is not supported");
  EXPECT_THROW_MSG(linspace(0, 1, 3, DType::b8), DTypeError,
                   "linspace: dtype bool is not supported");
}

TEST(Factories, FromBlobUsesCallerMemoryAndDeleter) {
  static int deleted = 0;
  float data[6] = {1, 2, 3, 4, 5, 6};
  {
    Tensor t = from_blob(data, {2, 3}, DType::f32, [](void*) { ++deleted; });
    EXPECT_EQ(t.at<float>({1, 0}), 4.0f);
    t.fill_(0.0);
  }
  EXPECT_EQ(deleted, 1);
  EXPECT_EQ(data[5], 0.0f);
}

TEST(Random, SeededAndDeviceIndependentLayout) {
  Generator g1(42), g2(42);
  Tensor a = randn({1000}, DType::f32, &g1), b = randn({1000}, DType::f32, &g2);
  EXPECT_EQ(a.to_vector<float>(), b.to_vector<float>());
  EXPECT_EQ(g1.offset(), 500u);  // two elements per Philox counter
  Tensor c = randn({1000}, DType::f32, &g1);
  EXPECT_NE(a.to_vector<float>(), c.to_vector<float>());
  manual_seed(7);
  Tensor d = rand({3});
  manual_seed(7);
  EXPECT_EQ(d.to_vector<float>(), rand({3}).to_vector<float>());
  EXPECT_THROW_MSG(randint(3, 3, {2}), ValueError, "randint", "low 3");
  EXPECT_THROW_MSG(randn({2}, DType::i32), DTypeError, "normal", "floating");
}

TEST(Promotion, Table) {
  EXPECT_EQ(promote_types(DType::i32, DType::f16), DType::f16);
  EXPECT_EQ(promote_types(DType::u8, DType::i8), DType::i32);
  EXPECT_EQ(promote_types(DType::f16, DType::bf16), DType::f32);
  EXPECT_EQ(promote_types(DType::b8, DType::u8), DType::u8);
  EXPECT_EQ(promote_types(DType::i64, DType::f32), DType::f32);
  EXPECT_EQ(promote_types(DType::f64, DType::f32), DType::f64);
  EXPECT_EQ(promote_with_scalar(DType::i32, true), DType::i32);
  EXPECT_EQ(promote_with_scalar(DType::i32, false), DType::f32);
  EXPECT_EQ(promote_with_scalar(DType::b8, true), DType::i64);
  EXPECT_EQ(promote_with_scalar(DType::f16, false), DType::f16);
}

TEST(Printing, LikePyTorch) {
  EXPECT_EQ(iota({2, 2}).str(), "tensor([[0., 1.],\n        [2., 3.]], shape=[2, 2], dtype=f32)");
  EXPECT_EQ(from_vector<int32_t>({1, -20}).str(), "tensor([  1, -20], shape=[2], dtype=i32)");
  EXPECT_EQ(scalar_tensor(0.5).str(), "tensor(0.5000, shape=[], dtype=f32)");
  std::string big = iota({2000}).str();
  EXPECT_EQ(big, "tensor([   0.,    1.,    2., ..., 1997., 1998., 1999.], shape=[2000], dtype=f32)");
  EXPECT_EQ(from_vector(std::vector<bool>{true, false}).str(),
            "tensor([ true, false], shape=[2], dtype=bool)");
}

TEST(Devices, MissingCudaDeviceIsAClearError) {
#if defined(EMBER_CUDA_BACKEND)
  EXPECT_THROW_MSG(zeros({2}, DType::f32, Device::cuda(64)), DeviceError, "cuda:64",
                   "cuda device(s)");
#else
  EXPECT_THROW_MSG(zeros({2}, DType::f32, Device::cuda()), DeviceError, "cuda:0",
                   "no cuda backend");
#endif
  EXPECT_THROW_MSG(zeros({2}).to(Device::cuda(64)), DeviceError, "cuda:64");
  EXPECT_EQ(parse_device("cuda:3"), Device::cuda(3));
  EXPECT_THROW_MSG(parse_device("gpu"), ValueError, "gpu");
}

TEST(Registry, MissingKernelIsAClearError) {
  // Composite ops (mean: sum then a division) have no kernel on any device.
  ASSERT_FALSE(has_kernel(OpId::mean, DeviceType::cuda));
  EXPECT_THROW_MSG(kernel<ReduceKernel>(OpId::mean, DeviceType::cuda), NotImplementedError,
                   "op mean is not implemented on device cuda");
  EXPECT_EQ(op_by_name("matmul"), OpId::matmul);
  EXPECT_FALSE(op_by_name("nope").has_value());
}

TEST(Memory, StatsTrackAllocations) {
  MemoryStats before = cpu_memory_stats();
  {
    Tensor t = empty({1024}, DType::f64);
    EXPECT_EQ(cpu_memory_stats().allocated, before.allocated + 8192);
    EXPECT_GE(cpu_memory_stats().peak, before.allocated + 8192);
  }
  EXPECT_EQ(cpu_memory_stats().allocated, before.allocated);
}

TEST(Memory, FreedBlocksAreReusedAndCanBeReleased) {
  const char* limit = std::getenv("EMBER_CPU_CACHE_BYTES");
  if (limit != nullptr && std::string(limit) == "0") {
    // Caching off (the asan preset): a freed block goes straight back to the system.
    { Tensor t = empty({1 << 18}, DType::f32); }
    EXPECT_EQ(cpu_memory_stats().reserved, cpu_memory_stats().allocated);
    return;
  }
  void* first = nullptr;
  {
    Tensor t = empty({1 << 18}, DType::f32);  // 1 MiB
    first = t.data_ptr();
  }
  MemoryStats cached = cpu_memory_stats();
  EXPECT_GE(cached.reserved, cached.allocated + (1 << 20));
  {
    Tensor t = empty({(1 << 18) - 5}, DType::f32);  // same size class
    EXPECT_EQ(t.data_ptr(), first);
    EXPECT_EQ(cpu_memory_stats().reserved, cached.reserved);
    // Reused blocks are poisoned again for the tests.
    EXPECT_TRUE(std::isnan(t.at<float>({7})));
    t.fill_(1.0);
  }
  empty_cpu_cache();
  EXPECT_EQ(cpu_memory_stats().reserved, cpu_memory_stats().allocated);
}

}  // namespace
}  // namespace ember
