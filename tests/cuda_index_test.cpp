// The CUDA index, sort and fill kernels (kernels/cuda/index.cu, sort.cu, fill.cu) against the
// CPU kernels, bit for bit: every dtype, non-contiguous operands, sizes 0, 1 and odd, negative,
// duplicate and out-of-range indices (the CPU's error and message), both scatter strategies
// (one thread per line, grouping by sorted targets), sorts in shared memory and by radix, NaN
// and ties, unique with inverse and counts, ranges and triangles, and the dropout mask drawn on
// the device; under the emulator's forward, reverse and random schedules.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "kernels/registry.h"
#include "tensor/factory.h"
#include "tensor/ops.h"
#include "tensor/random.h"
#include "tests/cuda_test_util.h"
#include "tests/test_util.h"

namespace ember {
namespace {

using namespace ::ember::testing;  // NOLINT: the shared CUDA test helpers
using CudaIndex = CudaTest;
using CudaSort = CudaTest;
using CudaFill = CudaTest;

const std::vector<DType> kAllTypes = {DType::f32, DType::f64, DType::f16, DType::bf16, DType::i8,
                                      DType::u8,  DType::i32, DType::i64, DType::b8};

// Expects the cuda tensor to hold exactly the cpu tensor's bits (same dtype and shape).
void expect_identical(const Tensor& want, const Tensor& got, const std::string& what) {
  expect_match(want, got, what);
  ASSERT_EQ(want.dtype(), got.dtype()) << what;
  ASSERT_EQ(want.shape(), got.shape()) << what;
  const Tensor w = want.contiguous(), g = got.to(Device::cpu()).contiguous();
  const size_t bytes = static_cast<size_t>(w.numel()) * w.element_size();
  EXPECT_EQ(bytes == 0 ? 0 : std::memcmp(w.data_ptr(), g.data_ptr(), bytes), 0)
      << what << ": the bits differ";
}

// i64 indices in [low, high) of `shape` on the cpu.
Tensor random_index(const Shape& shape, int64_t low, int64_t high, uint64_t seed) {
  Generator gen(seed);
  return randint(low, high, shape, DType::i64, &gen);
}

// A cpu tensor and its copy on cuda.
std::pair<Tensor, Tensor> on_both(const Tensor& cpu) { return {cpu, cpu.to(kCuda)}; }

// The CPU's IndexError message from cpu_call, and cuda_call's, which must be the same.
void expect_same_index_error(const std::function<void()>& cpu_call,
                             const std::function<void()>& cuda_call, const std::string& what) {
  const std::string want = message_of<IndexError>(cpu_call);
  const std::string got = message_of<IndexError>(cuda_call);
  EXPECT_NE(want.find("is out of bounds"), std::string::npos) << what << ": " << want;
  EXPECT_EQ(got, want) << what;
}

// --- gather / index_select ------------------------------------------------------------------

TEST_F(CudaIndex, GatherMatchesCpu) {
  EXPECT_TRUE(has_kernel(OpId::gather, DeviceType::cuda));
  under_schedules([] {
    uint64_t seed = 100;
    for (DType dt : kAllTypes) {
      auto [x, xc] = on_both(random_input(Shape{5, 7, 3}, dt, ++seed));
      for (int dim = 0; dim < 3; ++dim) {
        Shape is{4, 6, 3};
        const int64_t bound = x.size(dim);
        auto [ix, ixc] = on_both(random_index(is, -bound, bound, ++seed));
        expect_identical(gather(x, dim, ix), gather(xc, dim, ixc),
                         str("gather ", dtype_name(dt), " dim ", dim));
      }
      // Non-contiguous input and index, an empty index, 0-d input and index.
      auto [ix, ixc] = on_both(random_index(Shape{7, 4}, -5, 5, ++seed));
      expect_identical(gather(x.select(2, 1).t(), 1, ix), gather(xc.select(2, 1).t(), 1, ixc),
                       str("gather of views ", dtype_name(dt)));
      expect_identical(gather(x.select(2, 1), 0, ix.t().slice(0, 0, 4, 2)),
                       gather(xc.select(2, 1), 0, ixc.t().slice(0, 0, 4, 2)),
                       str("gather with a strided index ", dtype_name(dt)));
      auto [e, ec] = on_both(random_index(Shape{5, 0, 3}, 0, 5, ++seed));
      expect_identical(gather(x, 0, e), gather(xc, 0, ec), "gather, empty index");
      auto [s, sc] = on_both(random_input(Shape{}, dt, ++seed));
      auto [z, zc] = on_both(full(Shape{}, -1.0, DType::i64));
      expect_identical(gather(s, 0, z), gather(sc, 0, zc), "gather, 0-d");
    }
  });
}

TEST_F(CudaIndex, IndexSelectMatchesCpu) {
  under_schedules([] {
    uint64_t seed = 200;
    for (DType dt : kAllTypes) {
      auto [x, xc] = on_both(random_input(Shape{6, 9, 5}, dt, ++seed));
      for (int dim = 0; dim < 3; ++dim) {
        const int64_t bound = x.size(dim);
        auto [ix, ixc] = on_both(random_index(Shape{11}, -bound, bound, ++seed));
        expect_identical(index_select(x, dim, ix), index_select(xc, dim, ixc),
                         str("index_select ", dtype_name(dt), " dim ", dim));
      }
      // A transposed input, a strided i32 index, a 0-d index, an empty index.
      auto [big, bigc] = on_both(random_index(Shape{14}, -6, 6, ++seed).to(DType::i32));
      expect_identical(index_select(x.select(2, 3).t(), 1, big.slice(0, 0, 14, 3)),
                       index_select(xc.select(2, 3).t(), 1, bigc.slice(0, 0, 14, 3)),
                       str("index_select of views ", dtype_name(dt)));
      auto [z, zc] = on_both(full(Shape{}, 2.0, DType::i64));
      expect_identical(index_select(x, 1, z), index_select(xc, 1, zc), "index_select, 0-d index");
      // Whole rows of 16-byte multiples (moved 16 bytes a thread), and a row-offset view.
      auto [r, rc] = on_both(random_input(Shape{3, 10, 16}, dt, ++seed));
      auto [ri, ric] = on_both(random_index(Shape{13}, -9, 9, ++seed));
      expect_identical(index_select(r, 1, ri), index_select(rc, 1, ric),
                       str("index_select of rows ", dtype_name(dt)));
      expect_identical(index_select(r.select(0, 2).slice(0, 1, 10), 0, ri),
                       index_select(rc.select(0, 2).slice(0, 1, 10), 0, ric),
                       str("index_select of rows of a view ", dtype_name(dt)));
      auto [e, ec] = on_both(empty(Shape{0}, DType::i64));
      expect_identical(index_select(x, 2, e), index_select(xc, 2, ec), "index_select, no index");
    }
  });
}

// The composites on gather/scatter/index_select: one_hot and embedding.
TEST_F(CudaIndex, OneHotAndEmbeddingMatchCpu) {
  under_schedules([] {
    auto [ix, ixc] = on_both(random_index(Shape{4, 9}, 0, 6, 1));
    expect_identical(one_hot(ix), one_hot(ixc), "one_hot, inferred classes");
    expect_identical(one_hot(ix.t(), 8), one_hot(ixc.t(), 8), "one_hot of a view, 8 classes");
    EXPECT_EQ(message_of<IndexError>([&] { one_hot(ixc, 3); }),
              message_of<IndexError>([&] { one_hot(ix, 3); }));
    auto [w, wc] = on_both(random_input(Shape{6, 12}, DType::f32, 2));
    expect_identical(embedding(w, ix), embedding(wc, ixc), "embedding");
    expect_identical(embedding(w, ix.to(DType::i32)), embedding(wc, ixc.to(DType::i32)),
                     "embedding, i32 indices");
  });
}

// --- scatter family -------------------------------------------------------------------------

// (x shape, index shape, dim): one thread per line (many or short lines) or grouped by target
// (few long lines), heavy duplicates in both.
struct ScatterCase {
  Shape x, index;
  int dim;
};
const std::vector<ScatterCase> kScatterCases = {
    {Shape{9, 5}, Shape{7, 4}, 0},    // short lines
    {Shape{4, 70}, Shape{3, 60}, 1},  // few long lines: grouped
    {Shape{90}, Shape{83}, 0},        // a 1-d scatter: one line, grouped
    {Shape{3, 40, 2}, Shape{2, 37, 2}, 1},
    {Shape{1}, Shape{1}, 0},
    {Shape{5, 3}, Shape{0, 3}, 0},
};

TEST_F(CudaIndex, ScatterMatchesCpuWithDuplicates) {
  under_schedules([] {
    uint64_t seed = 300;
    for (DType dt : kAllTypes) {
      for (const ScatterCase& c : kScatterCases) {
        const std::string what =
            str("scatter ", dtype_name(dt), " ", c.x, " ", c.index, " ", c.dim);
        auto [x, xc] = on_both(random_input(c.x, dt, ++seed));
        auto [src, srcc] = on_both(random_input(c.index, dt, ++seed));
        // Few distinct targets: every target is written many times.
        const int64_t bound = std::min<int64_t>(c.x[c.dim], 4);
        auto [ix, ixc] = on_both(random_index(c.index, -bound, bound, ++seed));
        expect_identical(scatter(x, c.dim, ix, src), scatter(xc, c.dim, ixc, srcc), what);
        expect_identical(scatter(x, c.dim, ix, 2.0), scatter(xc, c.dim, ixc, 2.0), what + " value");
      }
      // Non-contiguous x, src and index.
      auto [x, xc] = on_both(random_input(Shape{40, 3}, dt, ++seed));
      auto [src, srcc] = on_both(random_input(Shape{3, 40}, dt, ++seed));
      auto [ix, ixc] = on_both(random_index(Shape{3, 70}, -40, 40, ++seed));
      expect_identical(scatter(x.t(), 1, ix.slice(1, 0, 70, 2), src),
                       scatter(xc.t(), 1, ixc.slice(1, 0, 70, 2), srcc),
                       str("scatter of views ", dtype_name(dt)));
    }
  });
}

TEST_F(CudaIndex, ScatterAddIsExactAndDeterministic) {
  under_schedules([] {
    uint64_t seed = 400;
    for (DType dt : kNumericTypes) {
      for (const ScatterCase& c : kScatterCases) {
        const std::string what =
            str("scatter_add ", dtype_name(dt), " ", c.x, " ", c.index, " ", c.dim);
        auto [x, xc] = on_both(random_input(c.x, dt, ++seed));
        auto [src, srcc] = on_both(random_input(c.index, dt, ++seed));
        const int64_t bound = std::min<int64_t>(c.x[c.dim], 3);
        auto [ix, ixc] = on_both(random_index(c.index, -bound, bound, ++seed));
        const Tensor got = scatter_add(xc, c.dim, ixc, srcc);
        expect_identical(scatter_add(x, c.dim, ix, src), got, what);
        expect_identical(got.to(Device::cpu()), scatter_add(xc, c.dim, ixc, srcc), what + " again");
      }
      auto [x, xc] = on_both(random_input(Shape{50, 2}, dt, ++seed));
      auto [src, srcc] = on_both(random_input(Shape{2, 60}, dt, ++seed));
      auto [ix, ixc] = on_both(random_index(Shape{2, 45}, 0, 50, ++seed));
      expect_identical(scatter_add(x, 0, ix.t(), src.t()), scatter_add(xc, 0, ixc.t(), srcc.t()),
                       str("scatter_add of views ", dtype_name(dt)));
    }
  });
}

// (x shape, dim, index length): grouped by target unless lines are many or short.
struct IndexAddCase {
  Shape x;
  int dim;
  int64_t n;
};

TEST_F(CudaIndex, IndexAddIsExactAndDeterministic) {
  const std::vector<IndexAddCase> cases = {
      {Shape{50, 6}, 0, 61},    // an embedding backward: few lines, grouped rows
      {Shape{6, 50}, 1, 45},    // along the last dim, grouped
      {Shape{40, 8}, 0, 20},    // short lines: one thread per line
      {Shape{3, 5, 7}, 1, 33},  // inner and outer dims
      {Shape{1}, 0, 1},        {Shape{4, 3}, 0, 0},
  };
  under_schedules([&] {
    uint64_t seed = 500;
    for (DType dt : kNumericTypes) {
      for (const IndexAddCase& c : cases) {
        auto [x, xc] = on_both(random_input(c.x, dt, ++seed));
        Shape ss = c.x;
        ss[c.dim] = c.n;
        auto [src, srcc] = on_both(random_input(ss, dt, ++seed));
        const int64_t bound = std::min<int64_t>(c.x[c.dim], 5);
        auto [ix, ixc] = on_both(random_index(Shape{c.n}, -bound, bound, ++seed));
        for (double alpha : {1.0, is_floating(dt) ? 0.3 : -3.0}) {
          const std::string what =
              str("index_add ", dtype_name(dt), " ", c.x, " dim ", c.dim, " alpha ", alpha);
          const Tensor got = index_add(xc, c.dim, ixc, srcc, alpha);
          expect_identical(index_add(x, c.dim, ix, src, alpha), got, what);
          expect_identical(got.to(Device::cpu()), index_add(xc, c.dim, ixc, srcc, alpha),
                           what + " again");
        }
      }
      // Transposed x and src, an i32 index.
      auto [x, xc] = on_both(random_input(Shape{7, 30}, dt, ++seed));
      auto [src, srcc] = on_both(random_input(Shape{7, 40}, dt, ++seed));
      auto [ix, ixc] = on_both(random_index(Shape{40}, 0, 30, ++seed).to(DType::i32));
      expect_identical(index_add(x.t(), 0, ix, src.t(), 2.0),
                       index_add(xc.t(), 0, ixc, srcc.t(), 2.0),
                       str("index_add of views ", dtype_name(dt)));
    }
  });
}

// Enough lines that index_add and scatter_add run one thread per line with long lines.
TEST_F(CudaIndex, ManyLinesRunOneThreadPerLine) {
  uint64_t seed = 600;
  auto [x, xc] = on_both(random_input(Shape{3, 16500}, DType::f32, ++seed));
  auto [src, srcc] = on_both(random_input(Shape{40, 16500}, DType::f32, ++seed));
  auto [ix, ixc] = on_both(random_index(Shape{40}, -3, 3, ++seed));
  expect_identical(index_add(x, 0, ix, src, 0.5), index_add(xc, 0, ixc, srcc, 0.5),
                   "index_add, 16500 lines");
  auto [ix2, ix2c] = on_both(random_index(Shape{40, 16500}, 0, 3, ++seed));
  expect_identical(scatter_add(x, 0, ix2, src), scatter_add(xc, 0, ix2c, srcc),
                   "scatter_add, 16500 lines");
}

TEST_F(CudaIndex, OutOfRangeIndicesThrowTheCpuError) {
  under_schedules([] {
    const Tensor x = random_input(Shape{6, 40}, DType::f32, 1);
    const Tensor xc = x.to(kCuda);
    for (int64_t bad : {40, -41, 1000}) {
      // One bad index among good ones, at different places, for every op and both strategies.
      Tensor ix = random_index(Shape{6, 35}, -40, 40, 2);
      ix.select(0, 3).select(0, 17).fill_(static_cast<double>(bad));
      const Tensor ixc = ix.to(kCuda), src = random_input(Shape{6, 35}, DType::f32, 3);
      const Tensor srcc = src.to(kCuda);
      const std::string what = str("index ", bad);
      expect_same_index_error([&] { gather(x, 1, ix); }, [&] { gather(xc, 1, ixc); },
                              "gather " + what);
      expect_same_index_error([&] { scatter(x, 1, ix, src); }, [&] { scatter(xc, 1, ixc, srcc); },
                              "scatter " + what);
      expect_same_index_error([&] { scatter_add(x, 1, ix, src); },
                              [&] { scatter_add(xc, 1, ixc, srcc); }, "scatter_add " + what);
      Tensor is = random_index(Shape{6, 6}, -6, 6, 6);  // [6, 6] along dim 0: short lines
      is.select(0, 4).select(0, 2).fill_(static_cast<double>(bad));
      expect_same_index_error([&] { scatter_add(x, 0, is, src.slice(1, 0, 6)); },
                              [&] { scatter_add(xc, 0, is.to(kCuda), srcc.slice(1, 0, 6)); },
                              "scatter_add, short lines " + what);
      Tensor i1 = random_index(Shape{50}, -6, 6, 4);
      i1.select(0, 33).fill_(static_cast<double>(bad));
      const Tensor i1c = i1.to(kCuda), s1 = random_input(Shape{50, 40}, DType::f32, 5);
      const Tensor s1c = s1.to(kCuda);
      expect_same_index_error([&] { index_select(x, 0, i1); }, [&] { index_select(xc, 0, i1c); },
                              "index_select " + what);
      expect_same_index_error([&] { index_add(x, 0, i1, s1); }, [&] { index_add(xc, 0, i1c, s1c); },
                              "index_add " + what);
      expect_same_index_error([&] { index_add(x.t(), 1, i1, s1.t()); },
                              [&] { index_add(xc.t(), 1, i1c, s1c.t()); },
                              "index_add along the last dim " + what);
      const Tensor i2 = i1.slice(0, 30, 40);
      expect_same_index_error([&] { index_add(x, 0, i2, s1.slice(0, 0, 10)); },
                              [&] { index_add(xc, 0, i2.to(kCuda), s1c.slice(0, 0, 10)); },
                              "index_add, short lines " + what);
    }
  });
}

// --- masked_select ----------------------------------------------------------------------------

TEST_F(CudaIndex, MaskedSelectMatchesCpu) {
  under_schedules([] {
    uint64_t seed = 700;
    for (DType dt : kAllTypes) {
      for (const Shape& s : {Shape{}, Shape{0}, Shape{1}, Shape{7}, Shape{2048}, Shape{3, 1701}}) {
        auto [x, xc] = on_both(random_input(s, dt, ++seed));
        auto [m, mc] = on_both(random_input(s, DType::b8, ++seed));
        expect_identical(masked_select(x, m), masked_select(xc, mc),
                         str("masked_select ", dtype_name(dt), " ", s));
      }
      // Broadcast mask, transposed input, all true and all false.
      auto [x, xc] = on_both(random_input(Shape{13, 17}, dt, ++seed));
      auto [m, mc] = on_both(random_input(Shape{17}, DType::b8, ++seed));
      expect_identical(masked_select(x.t().t(), m), masked_select(xc, mc), "broadcast mask");
      auto [mt, mtc] = on_both(random_input(Shape{17, 13}, DType::b8, ++seed));
      expect_identical(masked_select(x.t(), mt), masked_select(xc.t(), mtc), "transposed");
      expect_identical(masked_select(x, ones(Shape{13, 17}, DType::b8)),
                       masked_select(xc, ones(Shape{13, 17}, DType::b8, kCuda)), "all true");
      expect_identical(masked_select(x, zeros(Shape{1}, DType::b8)),
                       masked_select(xc, zeros(Shape{1}, DType::b8, kCuda)), "all false");
    }
  });
}

// --- sort, topk, unique -----------------------------------------------------------------------

// Sort inputs with ties: small integers, and for floats also NaN, infinities and both zeros.
Tensor sort_input(const Shape& shape, DType dt, uint64_t seed) {
  Tensor t = random_input(shape, dt, seed);
  if (!is_floating(dt)) return t;
  std::vector<double> v = t.to_vector<double>();
  const std::vector<int64_t> r =
      random_index(Shape{t.numel()}, 0, 10, seed + 1).to_vector<int64_t>();
  const double specials[] = {
      std::numeric_limits<double>::quiet_NaN(), -0.0, 0.0, 1.5, INFINITY, -INFINITY};
  for (size_t i = 0; i < v.size(); ++i) {
    if (r[i] < 6) v[i] = specials[r[i]];
  }
  return from_vector(v, shape).to(dt);
}

// Row lengths: the shared-memory sort (1 .. 2048) and the radix sort (> 2048).
TEST_F(CudaSort, SortMatchesCpuStablyWithNanAndTies) {
  const std::vector<Shape> shapes = {Shape{},     Shape{0},       Shape{1},      Shape{7},
                                     Shape{4, 2}, Shape{300, 3},  Shape{5, 33},  Shape{2, 2048},
                                     Shape{3, 0}, Shape{2, 2049}, Shape{1, 2500}};
  under_schedules([&] {
    uint64_t seed = 800;
    for (DType dt : kAllTypes) {
      for (const Shape& s : shapes) {
        auto [x, xc] = on_both(sort_input(s, dt, ++seed));
        for (bool desc : {false, true}) {
          const std::string what = str("sort ", dtype_name(dt), " ", s, desc ? " descending" : "");
          const ValuesIndices want = sort(x, -1, desc), got = sort(xc, -1, desc);
          expect_identical(want.values, got.values, what + " values");
          expect_identical(want.indices, got.indices, what + " indices");
        }
      }
      // Along dim 0 of a transposed view (the front end makes it contiguous).
      auto [x, xc] = on_both(sort_input(Shape{9, 37}, dt, ++seed));
      const ValuesIndices want = sort(x.t(), 0, true), got = sort(xc.t(), 0, true);
      expect_identical(want.values, got.values, str("sort of a view ", dtype_name(dt)));
      expect_identical(want.indices, got.indices, str("sort of a view ", dtype_name(dt)));
    }
  });
}

// Several rows longer than the shared-memory sort: the row passes of the radix sort.
TEST_F(CudaSort, LongRowsSortByRadix) {
  uint64_t seed = 900;
  for (DType dt : {DType::f32, DType::f64, DType::i64, DType::i8, DType::bf16}) {
    auto [x, xc] = on_both(sort_input(Shape{3, 2500}, dt, ++seed));
    for (bool desc : {false, true}) {
      const ValuesIndices want = sort(x, 1, desc), got = sort(xc, 1, desc);
      const std::string what = str("sort ", dtype_name(dt), desc ? " descending" : "");
      expect_identical(want.values, got.values, what);
      expect_identical(want.indices, got.indices, what);
    }
  }
}

TEST_F(CudaSort, TopkMatchesCpu) {
  under_schedules([] {
    uint64_t seed = 1000;
    for (DType dt : kAllTypes) {
      for (const Shape& s : {Shape{1}, Shape{6, 19}, Shape{2, 3000}, Shape{}}) {
        auto [x, xc] = on_both(sort_input(s, dt, ++seed));
        const int64_t len = s.empty() ? 1 : s.back();
        // k = 0 of a 0-d input is refused by the front end on every device; long rows (the
        // radix sort) take one k.
        std::vector<int64_t> ks = {s.empty() ? 1 : 0, 1, std::min<int64_t>(5, len), len};
        if (len > 2048) ks = {5};
        for (int64_t k : ks) {
          for (bool largest : {true, false}) {
            const std::string what =
                str("topk ", dtype_name(dt), " ", s, " k ", k, largest ? " largest" : " smallest");
            const ValuesIndices want = topk(x, k, -1, largest), got = topk(xc, k, -1, largest);
            expect_identical(want.values, got.values, what);
            expect_identical(want.indices, got.indices, what);
          }
        }
      }
    }
  });
}

TEST_F(CudaSort, UniqueMatchesCpuWithInverseAndCounts) {
  under_schedules([] {
    uint64_t seed = 1100;
    for (DType dt : kAllTypes) {
      for (const Shape& s : {Shape{}, Shape{0}, Shape{1}, Shape{7}, Shape{5, 41}, Shape{3000}}) {
        auto [x, xc] = on_both(sort_input(s, dt, ++seed));
        const UniqueResult want = unique(x), got = unique(xc);
        const std::string what = str("unique ", dtype_name(dt), " ", s);
        expect_identical(want.values, got.values, what + " values");
        expect_identical(want.inverse, got.inverse, what + " inverse");
        expect_identical(want.counts, got.counts, what + " counts");
      }
      auto [x, xc] = on_both(sort_input(Shape{6, 11}, dt, ++seed));
      const UniqueResult want = unique(x.t()), got = unique(xc.t());
      expect_identical(want.values, got.values, str("unique of a view ", dtype_name(dt)));
      expect_identical(want.inverse, got.inverse, str("unique of a view ", dtype_name(dt)));
    }
  });
}

// --- fills ------------------------------------------------------------------------------------

TEST_F(CudaFill, RangesAreBitIdentical) {
  // (start, end, step); u8 takes the non-negative ones (a negative double -> u8 is undefined).
  const std::vector<std::tuple<double, double, double>> ranges = {
      {0.0, 10.0, 1.0}, {0.5, 40.0, 0.7}, {200.0, 3.0, -0.3}, {0.0, 0.0, 1.0},
      {1.0, 2.0, 5.0},  {-3.0, 4.0, 0.7}, {5.0, -20.0, -3.0}};
  under_schedules([&] {
    for (DType dt : kNumericTypes) {
      for (auto [a, b, step] : ranges) {
        if (!is_floating(dt) && std::trunc(step) != step) continue;
        if (dt == DType::u8 && (a < 0 || b < 0)) continue;
        expect_identical(arange(a, b, step, dt), arange(a, b, step, dt, kCuda),
                         str("arange ", a, " ", b, " ", step, " ", dtype_name(dt)));
      }
      for (int64_t n : {0, 1, 2, 7, 1001}) {
        const double lo = dt == DType::u8 ? 0.0 : -1.3;
        expect_identical(linspace(lo, 2.9, n, dt), linspace(lo, 2.9, n, dt, kCuda),
                         str("linspace ", n, " ", dtype_name(dt)));
        expect_identical(linspace(117.0, lo, n, dt), linspace(117.0, lo, n, dt, kCuda),
                         str("linspace down ", n, " ", dtype_name(dt)));
      }
    }
    expect_identical(arange(1000.0), arange(1000.0, {}, kCuda), "arange(1000)");
  });
}

TEST_F(CudaFill, TrilTriuAndEyeMatchCpu) {
  under_schedules([] {
    uint64_t seed = 1200;
    for (DType dt : kAllTypes) {
      for (const Shape& s :
           {Shape{5, 7}, Shape{3, 4, 6}, Shape{1, 1}, Shape{0, 3}, Shape{2, 0, 4}}) {
        auto [x, xc] = on_both(random_input(s, dt, ++seed));
        for (int64_t d : {-2, 0, 1, 3}) {
          expect_identical(tril(x, d), tril(xc, d), str("tril ", dtype_name(dt), " ", s, " ", d));
          expect_identical(triu(x, d), triu(xc, d), str("triu ", dtype_name(dt), " ", s, " ", d));
        }
      }
      auto [x, xc] = on_both(random_input(Shape{6, 9}, dt, ++seed));
      expect_identical(tril(x.t(), -1), tril(xc.t(), -1), str("tril of a view ", dtype_name(dt)));
      expect_identical(triu(x.t(), 2), triu(xc.t(), 2), str("triu of a view ", dtype_name(dt)));
      for (auto [n, m] : {std::pair<int64_t, int64_t>{4, -1}, {3, 5}, {6, 2}, {0, 3}, {1, 1}}) {
        expect_identical(eye(n, m, dt), eye(n, m, dt, kCuda), str("eye ", n, " ", m));
      }
    }
  });
}

// --- dropout ----------------------------------------------------------------------------------

TEST_F(CudaFill, DropoutMaskIsDrawnOnTheDeviceWithTheCpuBits) {
  under_schedules([] {
    for (double p : {0.0, 0.1, 0.5, 0.7, 0.3333333333333333, 1.0}) {
      for (const Shape& s : {Shape{0}, Shape{1}, Shape{7}, Shape{33, 65}}) {
        Generator g1(7), g2(7);
        g1.set_offset(3);
        g2.set_offset(3);
        const Tensor m = dropout_mask(s, p, &g1), mc = dropout_mask(s, p, &g2, kCuda);
        EXPECT_TRUE(mc.device().is_cuda());
        expect_identical(m, mc, str("dropout_mask ", p, " ", s));
        EXPECT_EQ(g1.offset(), g2.offset());
        // The mask is u >= p for the same draws, compared in double.
        Generator g3(7);
        g3.set_offset(3);
        const std::vector<float> u = rand(s, DType::f32, &g3).to_vector<float>();
        const std::vector<double> keep = m.to_vector<double>();
        for (size_t i = 0; i < u.size(); ++i) {
          ASSERT_EQ(keep[i] != 0.0, static_cast<double>(u[i]) >= p) << p << " element " << i;
        }
      }
    }
    for (DType dt : kFloatTypes) {
      Generator g1(11), g2(11);
      const Tensor x = random_input(Shape{9, 31}, dt, 5);
      expect_identical(dropout(x, 0.4, true, &g1), dropout(x.to(kCuda), 0.4, true, &g2),
                       str("dropout ", dtype_name(dt)));
    }
  });
}

}  // namespace
}  // namespace ember
