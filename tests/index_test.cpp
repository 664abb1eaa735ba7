// Indexing and shape ops beyond the op-case table: exact error messages, dtype rules,
// determinism of scatter_add / index_add under threads, view semantics of split/chunk.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tensor/ops.h"
#include "tests/test_util.h"

namespace ember {
namespace {

using testing::message_of;

Tensor i64(const std::vector<int64_t>& v, std::optional<Shape> shape = {}) {
  return from_vector(v, shape);
}

// --- errors -------------------------------------------------------------------------------

TEST(IndexErrors, GatherIndexOutOfRange) {
  Tensor x = randn({3, 4});
  EXPECT_EQ(message_of<IndexError>([&] {
              gather(x, 1, i64({0, 4, 1}, Shape{1, 3}));
            }),
            "gather: index 4 is out of bounds for dim 1 with size 4; expected an index in "
            "[-4, 4)");
  EXPECT_EQ(message_of<IndexError>([&] {
              gather(x, 0, i64({-4}, Shape{1, 1}));
            }),
            "gather: index -4 is out of bounds for dim 0 with size 3; expected an index in "
            "[-3, 3)");
  // -3 wraps to 0.
  EXPECT_EQ(gather(x, 0, i64({-3}, Shape{1, 1})).item(), x.at<double>({0, 0}));
}

TEST(IndexErrors, BadIndexInAThreadedLoopIsThrownAfterIt) {
  const int64_t n = 100003;
  std::vector<int64_t> idx(n);
  for (int64_t i = 0; i < n; ++i) idx[i] = i % 7;
  idx[n - 2] = 7;
  Tensor x = randn({7});
  EXPECT_EQ(message_of<IndexError>([&] { index_select(x, 0, i64(idx)); }),
            "index_select: index 7 is out of bounds for dim 0 with size 7; expected an index in "
            "[-7, 7)");
  Tensor src = ones({n});
  EXPECT_EQ(message_of<IndexError>([&] { index_add(zeros({7}), 0, i64(idx), src); }),
            "index_add: index 7 is out of bounds for dim 0 with size 7; expected an index in "
            "[-7, 7)");
  Tensor rows = i64(idx).view({1, n}).expand({3, n}).contiguous();
  EXPECT_EQ(message_of<IndexError>([&] {
              scatter_add(zeros({3, 7}), 1, rows, ones({3, n}));
            }),
            "scatter_add: index 7 is out of bounds for dim 1 with size 7; expected an index in "
            "[-7, 7)");
}

TEST(IndexErrors, GatherShapes) {
  Tensor x = randn({3, 4});
  EXPECT_EQ(message_of<ShapeError>([&] {
              gather(x, 0, zeros({2, 5}, DType::i64));
            }),
            "gather: index of shape [2, 5] is larger than the input of shape [3, 4] in dim 1 "
            "(5 > 4); expected index.size(d) <= input.size(d) for every d != dim 0");
  EXPECT_EQ(message_of<ShapeError>([&] { gather(x, 0, zeros({2}, DType::i64)); }),
            "gather: index of shape [2] has 1 dims but the input of shape [3, 4] has 2; "
            "expected the same number of dims");
  EXPECT_EQ(message_of<DTypeError>([&] {
              gather(x, 0, zeros({2, 4}, DType::i32));
            }),
            "gather: index must be i64, got i32");
  // Along dim the index may be longer than the input.
  EXPECT_EQ(gather(x, 0, zeros({5, 4}, DType::i64)).shape(), (Shape{5, 4}));
}

TEST(IndexErrors, ScatterShapesAndDtypes) {
  Tensor x = zeros({3, 4});
  EXPECT_EQ(message_of<ShapeError>([&] {
              scatter(x, 0, zeros({2, 4}, DType::i64), ones({2, 3}));
            }),
            "scatter: index of shape [2, 4] is larger than src of shape [2, 3] in dim 1 (4 > 3); "
            "expected index.size(d) <= src.size(d)");
  EXPECT_EQ(message_of<DTypeError>([&] {
              scatter(x, 0, zeros({2, 4}, DType::i64), ones({2, 4}, DType::f64));
            }),
            "scatter: src has dtype f64 but the input has dtype f32; expected the same dtype");
  EXPECT_EQ(message_of<DTypeError>([&] {
              scatter_add(zeros({3}, DType::b8), 0, zeros({2}, DType::i64), ones({2}, DType::b8));
            }),
            "scatter_add: bool tensors are not supported; expected a floating or integer dtype");
  EXPECT_EQ(message_of<DTypeError>([&] {
              index_add(zeros({3}, DType::b8), 0, zeros({2}, DType::i64), ones({2}, DType::b8));
            }),
            "index_add: bool tensors are not supported; expected a floating or integer dtype");
  EXPECT_EQ(message_of<ValueError>([&] {
              index_add(zeros({3}, DType::i32), 0, zeros({2}, DType::i64), ones({2}, DType::i32),
                        0.5);
            }),
            "index_add: alpha 0.5 is not a whole number; integer inputs of dtype i32 need an "
            "integral alpha");
  EXPECT_EQ(message_of<ShapeError>([&] {
              index_add(zeros({3, 4}), 0, zeros({2}, DType::i64), ones({2, 5}));
            }),
            "index_add: src of shape [2, 5] does not match the input of shape [3, 4] with 2 "
            "indices along dim 0; expected src of shape [2, 4]");
}

TEST(IndexErrors, IndexSelectIndexDtypes) {
  Tensor x = from_vector<float>({10, 11, 12, 13});
  EXPECT_EQ(index_select(x, 0, from_vector<int32_t>({3, -1, 0})).to_vector<float>(),
            (std::vector<float>{13, 13, 10}));
  EXPECT_EQ(message_of<DTypeError>([&] { index_select(x, 0, from_vector<float>({1})); }),
            "index_select: index must be i64 or i32, got f32");
  EXPECT_EQ(message_of<ShapeError>([&] {
              index_select(x, 0, zeros({1, 1}, DType::i64));
            }),
            "index_select: index of shape [1, 1] has 2 dims; expected a 1-d (or 0-d) index");
}

TEST(IndexErrors, MaskedSelect) {
  Tensor x = from_vector<float>({1, 2, 3, 4, 5, 6}, Shape{2, 3});
  Tensor mask = from_vector(std::vector<bool>{true, false, true});
  EXPECT_EQ(masked_select(x, mask).to_vector<float>(), (std::vector<float>{1, 3, 4, 6}));
  EXPECT_EQ(message_of<DTypeError>([&] { masked_select(x, ones({3})); }),
            "masked_select: mask must be bool, got f32");
  EXPECT_THROW(masked_select(x, from_vector(std::vector<bool>{true, false})), ShapeError);
}

TEST(IndexErrors, CatNamesTheOffendingTensor) {
  Tensor a = zeros({2, 3}), b = zeros({4, 3}), c = zeros({2, 4});
  EXPECT_EQ(message_of<ShapeError>([&] {
              cat({a, b, c}, 0);
            }),
            "cat: tensor 2 has shape [2, 4] but tensor 0 has shape [2, 3]; sizes must match "
            "except in dim 0 (dim 1: 4 vs 3)");
  EXPECT_EQ(message_of<ShapeError>([&] {
              cat({a, zeros({2, 3, 1})}, 1);
            }),
            "cat: tensor 1 has shape [2, 3, 1] (3 dims) but tensor 0 has shape [2, 3] (2 dims); "
            "expected the same number of dims");
  // The reference shape is the first tensor that is not a skipped 1-d [0].
  EXPECT_EQ(message_of<ShapeError>([&] {
              cat({zeros({0}), a, c}, 0);
            }),
            "cat: tensor 2 has shape [2, 4] but tensor 1 has shape [2, 3]; sizes must match "
            "except in dim 0 (dim 1: 4 vs 3)");
  EXPECT_EQ(message_of<ValueError>([&] { cat({}, 0); }),
            "cat: got an empty list; expected at least one tensor");
  EXPECT_THROW(cat({scalar_tensor(1.0)}, 0), ShapeError);
  EXPECT_THROW(cat({a, b}, 2), IndexError);
  EXPECT_EQ(message_of<ShapeError>([&] {
              stack({a, b}, 0);
            }),
            "stack: tensor 1 has shape [4, 3] but tensor 0 has shape [2, 3]; expected all "
            "tensors to have the same shape");
}

TEST(IndexErrors, CatPromotesToTheCommonDtype) {
  Tensor a = from_vector<float>({0.5f, 1.5f});
  Tensor b = from_vector<int64_t>({3});
  Tensor c = cat({b, a});
  EXPECT_EQ(c.dtype(), DType::f32);
  EXPECT_EQ(c.to_vector<float>(), (std::vector<float>{3, 0.5f, 1.5f}));
  EXPECT_EQ(cat({zeros({0}), zeros({0})}).shape(), (Shape{0}));
}

TEST(IndexErrors, PadReflectTooLargeAndUnknownMode) {
  Tensor x = randn({3, 4});
  EXPECT_EQ(message_of<ValueError>([&] {
              pad(x, {4, 0}, "reflect");
            }),
            "pad: reflect padding (4, 0) of dim 1 must be smaller than its size 4; input shape "
            "[3, 4]");
  EXPECT_EQ(message_of<ValueError>([&] {
              pad(x, {1, 1}, "circular");
            }),
            "pad: unknown mode \"circular\"; expected \"constant\" or \"reflect\"");
  EXPECT_EQ(message_of<ValueError>([&] {
              pad(x, {1, 1, 1});
            }),
            "pad: pads [1, 1, 1] has 3 values; expected (left, right) pairs");
  EXPECT_EQ(message_of<ShapeError>([&] {
              pad(x, {-3, -2});
            }),
            "pad: padding (-3, -2) of dim 1 of size 4 gives the negative size -1; input shape "
            "[3, 4]");
  // Largest legal reflect pad: 3 on each side of a size-4 dim.
  EXPECT_EQ(pad(from_vector<float>({1, 2, 3, 4}), {3, 3}, "reflect").to_vector<float>(),
            (std::vector<float>{4, 3, 2, 1, 2, 3, 4, 3, 2, 1}));
}

TEST(IndexErrors, OneHot) {
  EXPECT_EQ(message_of<IndexError>([&] {
              one_hot(i64({0, 5, 2}), 5);
            }),
            "one_hot: index 5 is out of range for num_classes 5; expected class indices in "
            "[0, 5)");
  EXPECT_EQ(message_of<IndexError>([&] {
              one_hot(i64({0, -1}));
            }),
            "one_hot: index -1 is negative; expected class indices in [0, num_classes)");
  EXPECT_EQ(message_of<ValueError>([&] { one_hot(zeros({0}, DType::i64)); }),
            "one_hot: cannot infer num_classes from an empty tensor; pass num_classes "
            "explicitly");
  EXPECT_THROW(one_hot(zeros({2}, DType::i32), 3), DTypeError);
  Tensor h = one_hot(i64({2, 0}));
  EXPECT_EQ(h.shape(), (Shape{2, 3}));
  EXPECT_EQ(h.dtype(), DType::i64);
  EXPECT_EQ(h.to_vector<int64_t>(), (std::vector<int64_t>{0, 0, 1, 1, 0, 0}));
}

TEST(IndexErrors, ShapeOpArguments) {
  Tensor x = randn({2, 3});
  EXPECT_EQ(message_of<ShapeError>([&] { tril(randn({4})); }),
            "tril: input of shape [4] has 1 dims; expected at least 2 ([..., rows, cols])");
  EXPECT_EQ(message_of<ShapeError>([&] { repeat(x, {2}); }),
            "repeat: 1 repeats [2] for a tensor of shape [2, 3]; expected at least one per dim");
  EXPECT_THROW(repeat(x, {2, -1}), ValueError);
  EXPECT_EQ(message_of<ValueError>([&] {
              split(x, std::vector<int64_t>{1, 3}, 1);
            }),
            "split: sizes [1, 3] sum to 4 but dim 1 has size 3; expected them to sum exactly to "
            "3");
  EXPECT_THROW(split(x, 0, 1), ValueError);
  EXPECT_THROW(chunk(x, 0), ValueError);
  EXPECT_EQ(message_of<ValueError>([&] {
              flip(x, {1, -1});
            }),
            "flip: dim 1 appears more than once in dims [1, -1]");
  EXPECT_THROW(roll(x, {1, 2}, {0}), ValueError);
}

// --- semantics ----------------------------------------------------------------------------

TEST(IndexOps, ScatterAddDuplicatesSumExactly) {
  // 1-d: every element lands on one of three targets.
  const int64_t n = 300000;
  std::vector<int64_t> idx(n);
  for (int64_t i = 0; i < n; ++i) idx[i] = i % 3;
  Tensor out = scatter_add(zeros({3}), 0, i64(idx), ones({n}));
  EXPECT_EQ(out.to_vector<float>(), (std::vector<float>{100000, 100000, 100000}));

  // 2-d along dim 0 (threads split the columns), non-integer values: the result must equal a
  // sequential row-major f32 accumulation bit for bit, whatever the thread count.
  const int64_t rows = 1000, cols = 257;
  std::vector<int64_t> index(rows * cols);
  for (int64_t i = 0; i < rows * cols; ++i) index[i] = (i * 7 + i / cols) % 4;
  Tensor src = randn({rows, cols});
  Tensor got = scatter_add(zeros({4, cols}), 0, i64(index, Shape{rows, cols}), src);
  std::vector<float> s = src.to_vector<float>(), want(4 * cols, 0.0f);
  for (int64_t i = 0; i < rows * cols; ++i) want[index[i] * cols + i % cols] += s[i];
  EXPECT_EQ(got.to_vector<float>(), want);
  EXPECT_EQ(scatter_add(zeros({4, cols}), 0, i64(index, Shape{rows, cols}), src).to_vector<float>(),
            want);
}

TEST(IndexOps, IndexAddMatchesSequentialOrder) {
  const int64_t n = 1500, dim = 41;
  std::vector<int64_t> idx(n);
  for (int64_t i = 0; i < n; ++i) idx[i] = (i * 13) % 5 - 5 * (i % 2);  // half negative
  Tensor src = randn({n, dim});
  Tensor got = index_add(ones({5, dim}), 0, i64(idx), src, -0.5);
  std::vector<float> s = src.to_vector<float>(), want(5 * dim, 1.0f);
  for (int64_t i = 0; i < n; ++i) {
    int64_t row = idx[i] < 0 ? idx[i] + 5 : idx[i];
    for (int64_t j = 0; j < dim; ++j) want[row * dim + j] += -0.5f * s[i * dim + j];
  }
  EXPECT_EQ(got.to_vector<float>(), want);
}

TEST(IndexOps, ScatterReturnsANewTensor) {
  Tensor x = zeros({2, 3});
  Tensor y = scatter(x, 1, i64({2, 0}, Shape{2, 1}), 7.0);
  EXPECT_FALSE(y.shares_storage(x));
  EXPECT_EQ(x.to_vector<float>(), (std::vector<float>(6, 0.0f)));
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{0, 0, 7, 7, 0, 0}));
}

TEST(IndexOps, EmbeddingShapes) {
  Tensor w = randn({10, 3});
  Tensor idx = i64({1, 9, 0, 9, 4, 2}, Shape{2, 3});
  Tensor e = embedding(w, idx);
  EXPECT_EQ(e.shape(), (Shape{2, 3, 3}));
  for (int64_t j = 0; j < 3; ++j) {
    EXPECT_EQ(e.at<float>({1, 0, j}), w.at<float>({9, j}));
    EXPECT_EQ(e.at<float>({0, 2, j}), w.at<float>({0, j}));
  }
  EXPECT_EQ(embedding(w, i64({4}, Shape{})).shape(), (Shape{3}));
  EXPECT_EQ(embedding(w, zeros({0, 5}, DType::i64)).shape(), (Shape{0, 5, 3}));
  EXPECT_EQ(embedding(w, from_vector<uint8_t>({2, 3})).shape(), (Shape{2, 3}));
  EXPECT_EQ(message_of<ShapeError>([&] { embedding(randn({10}), idx); }),
            "embedding: weight of shape [10] has 1 dims; expected a 2-d [num_embeddings, "
            "embedding_dim]");
  EXPECT_EQ(message_of<DTypeError>([&] { embedding(w, ones({2})); }),
            "embedding: indices must have an integer dtype, got f32");
  EXPECT_THROW(embedding(w, i64({10})), IndexError);
}

TEST(ShapeOps, FlipTwiceIsTheOriginal) {
  Tensor x = randn({3, 4, 5});
  Tensor once = flip(x, {0, 2});
  EXPECT_FALSE(once.shares_storage(x));
  EXPECT_TRUE(once.is_contiguous());
  EXPECT_EQ(once.at<float>({0, 0, 0}), x.at<float>({2, 0, 4}));
  EXPECT_EQ(flip(once, {2, 0}).to_vector<float>(), x.to_vector<float>());
  // A flip of a non-contiguous view.
  Tensor t = x.transpose(0, 2);
  EXPECT_EQ(flip(flip(t, {1}), {1}).to_vector<float>(), t.to_vector<float>());
}

TEST(ShapeOps, NegativeStrideViewsAreNotContiguous) {
  Tensor x = from_vector<float>({1, 2, 3, 4});
  Tensor r = x.as_strided({4}, {-1}, 3);
  EXPECT_FALSE(r.is_contiguous());
  Tensor c = r.contiguous();
  EXPECT_FALSE(c.shares_storage(x));
  EXPECT_EQ(c.to_vector<float>(), (std::vector<float>{4, 3, 2, 1}));
}

TEST(ShapeOps, ChunkAndSplitSizes) {
  auto sizes = [](const std::vector<Tensor>& parts, int dim) {
    std::vector<int64_t> s;
    for (const Tensor& p : parts) s.push_back(p.size(dim));
    return s;
  };
  Tensor x = randn({10, 2});
  EXPECT_EQ(sizes(chunk(x, 3), 0), (std::vector<int64_t>{4, 4, 2}));
  EXPECT_EQ(sizes(chunk(x, 10), 0), std::vector<int64_t>(10, 1));
  EXPECT_EQ(sizes(chunk(randn({6}), 4), 0), (std::vector<int64_t>{2, 2, 2}));
  EXPECT_EQ(sizes(chunk(zeros({0, 2}), 3), 0), (std::vector<int64_t>{0, 0, 0}));
  EXPECT_EQ(sizes(split(x, 3), 0), (std::vector<int64_t>{3, 3, 3, 1}));
  EXPECT_EQ(sizes(split(x, 1, -1), 1), (std::vector<int64_t>{1, 1}));
}

TEST(ShapeOps, SplitPiecesWriteThrough) {
  Tensor x = zeros({6, 2});
  std::vector<Tensor> parts = split(x, 2);
  ASSERT_EQ(parts.size(), 3u);
  for (const Tensor& p : parts) EXPECT_TRUE(p.shares_storage(x));
  parts[1].fill_(5.0);
  chunk(x, 2, 1)[1].select(0, 5).fill_(-1.0);
  EXPECT_EQ(x.to_vector<float>(), (std::vector<float>{0, 0, 0, 0, 5, 5, 5, 5, 0, 0, 0, -1}));
}

TEST(ShapeOps, CompositesReturnFreshTensors) {
  Tensor x = randn({3, 4});
  EXPECT_FALSE(roll(x, {0}, {1}).shares_storage(x));
  EXPECT_FALSE(repeat(x, {1, 1}).shares_storage(x));
  EXPECT_FALSE(pad(x, {0, 0}).shares_storage(x));
  EXPECT_FALSE(pad(x, {0, 0}, "reflect").shares_storage(x));
  EXPECT_FALSE(cat({x}).shares_storage(x));
  EXPECT_EQ(repeat(x, {1, 1}).to_vector<float>(), x.to_vector<float>());
}

}  // namespace
}  // namespace ember
