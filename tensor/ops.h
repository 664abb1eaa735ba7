// The op front end: every public tensor op as a free function. Each checks its arguments
// (dtype, device, shape, broadcasting), allocates outputs and dispatches to the kernel the
// input's device registered (kernels/registry.h). Names and defaults follow PyTorch.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "tensor/factory.h"
#include "tensor/tensor.h"

namespace ember {

// --- unary elementwise. Float-only math on integer/bool input computes in f32. ---------------
#define EMBER_DECLARE_UNARY(name) Tensor name(const Tensor& x);
EMBER_DECLARE_UNARY(neg) EMBER_DECLARE_UNARY(abs) EMBER_DECLARE_UNARY(sign)
EMBER_DECLARE_UNARY(exp) EMBER_DECLARE_UNARY(exp2) EMBER_DECLARE_UNARY(log)
EMBER_DECLARE_UNARY(log2) EMBER_DECLARE_UNARY(log1p) EMBER_DECLARE_UNARY(expm1)
EMBER_DECLARE_UNARY(sqrt) EMBER_DECLARE_UNARY(rsqrt) EMBER_DECLARE_UNARY(sin)
EMBER_DECLARE_UNARY(cos) EMBER_DECLARE_UNARY(tan) EMBER_DECLARE_UNARY(tanh)
EMBER_DECLARE_UNARY(sigmoid) EMBER_DECLARE_UNARY(relu) EMBER_DECLARE_UNARY(silu)
EMBER_DECLARE_UNARY(floor) EMBER_DECLARE_UNARY(ceil) EMBER_DECLARE_UNARY(round)
EMBER_DECLARE_UNARY(trunc) EMBER_DECLARE_UNARY(reciprocal) EMBER_DECLARE_UNARY(square)
EMBER_DECLARE_UNARY(erf) EMBER_DECLARE_UNARY(logical_not)
#undef EMBER_DECLARE_UNARY
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
// approximate: "none" (exact, with erf) or "tanh".
Tensor gelu(const Tensor& x, const std::string& approximate = "none");
// log(1 + exp(beta*x)) / beta, linear above beta*x > threshold.
Tensor softplus(const Tensor& x, double beta = 1.0, double threshold = 20.0);
Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max);

// --- binary elementwise with broadcasting and type promotion (tensor/promotion.h). -----------
#define EMBER_DECLARE_BINARY(name)                      \
  Tensor name(const Tensor& a, const Tensor& b);        \
  Tensor name(const Tensor& a, double b);               \
  Tensor name(double a, const Tensor& b);
EMBER_DECLARE_BINARY(add) EMBER_DECLARE_BINARY(sub) EMBER_DECLARE_BINARY(mul)
EMBER_DECLARE_BINARY(div) EMBER_DECLARE_BINARY(pow) EMBER_DECLARE_BINARY(maximum)
EMBER_DECLARE_BINARY(minimum) EMBER_DECLARE_BINARY(fmod) EMBER_DECLARE_BINARY(atan2)
// comparisons and logical ops return bool tensors
EMBER_DECLARE_BINARY(eq) EMBER_DECLARE_BINARY(ne) EMBER_DECLARE_BINARY(lt)
EMBER_DECLARE_BINARY(le) EMBER_DECLARE_BINARY(gt) EMBER_DECLARE_BINARY(ge)
EMBER_DECLARE_BINARY(logical_and) EMBER_DECLARE_BINARY(logical_or)
#undef EMBER_DECLARE_BINARY

// --- ternary ------------------------------------------------------------------------------
// cond ? a : b, broadcasting all three; cond must be bool.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
Tensor where(const Tensor& cond, const Tensor& a, double b);
Tensor where(const Tensor& cond, double a, const Tensor& b);
// a + weight * (b - a)
Tensor lerp(const Tensor& a, const Tensor& b, const Tensor& weight);
Tensor lerp(const Tensor& a, const Tensor& b, double weight);

// --- operators ----------------------------------------------------------------------------
inline Tensor operator-(const Tensor& x) { return neg(x); }
#define EMBER_BINARY_OPERATOR(sym, fn)                                          \
  inline Tensor operator sym(const Tensor& a, const Tensor& b) { return fn(a, b); } \
  inline Tensor operator sym(const Tensor& a, double b) { return fn(a, b); }      \
  inline Tensor operator sym(double a, const Tensor& b) { return fn(a, b); }
EMBER_BINARY_OPERATOR(+, add) EMBER_BINARY_OPERATOR(-, sub) EMBER_BINARY_OPERATOR(*, mul)
EMBER_BINARY_OPERATOR(/, div) EMBER_BINARY_OPERATOR(==, eq) EMBER_BINARY_OPERATOR(!=, ne)
EMBER_BINARY_OPERATOR(<, lt) EMBER_BINARY_OPERATOR(<=, le) EMBER_BINARY_OPERATOR(>, gt)
EMBER_BINARY_OPERATOR(>=, ge) EMBER_BINARY_OPERATOR(&&, logical_and)
EMBER_BINARY_OPERATOR(||, logical_or)
#undef EMBER_BINARY_OPERATOR
inline Tensor operator!(const Tensor& x) { return logical_not(x); }

// --- reductions over `dims` (empty: all dims). -----------------------------------------------
// sum/prod of bool and integers accumulate in i64 (like PyTorch); f16/bf16 accumulate in f32.
Tensor sum(const Tensor& x, const Shape& dims = {}, bool keepdim = false);
Tensor mean(const Tensor& x, const Shape& dims = {}, bool keepdim = false);  // floating only
Tensor prod(const Tensor& x, const Shape& dims = {}, bool keepdim = false);
// Divides by N - correction (correction = 1: the unbiased estimate).
Tensor var(const Tensor& x, const Shape& dims = {}, int64_t correction = 1, bool keepdim = false);
Tensor std(const Tensor& x, const Shape& dims = {}, int64_t correction = 1, bool keepdim = false);
Tensor amax(const Tensor& x, const Shape& dims = {}, bool keepdim = false);
Tensor amin(const Tensor& x, const Shape& dims = {}, bool keepdim = false);
Tensor max(const Tensor& x);  // of all elements
Tensor min(const Tensor& x);
// Values and the index of the first occurrence along `dim`.
ValuesIndices max(const Tensor& x, int64_t dim, bool keepdim = false);
ValuesIndices min(const Tensor& x, int64_t dim, bool keepdim = false);
// Index of the first maximum along dim (of the flattened tensor without dim).
Tensor argmax(const Tensor& x, std::optional<int64_t> dim = {}, bool keepdim = false);
Tensor argmin(const Tensor& x, std::optional<int64_t> dim = {}, bool keepdim = false);
Tensor logsumexp(const Tensor& x, const Shape& dims = {}, bool keepdim = false);
// p = 1, 2 or infinity.
Tensor norm(const Tensor& x, double p = 2.0, const Shape& dims = {}, bool keepdim = false);
Tensor all(const Tensor& x, const Shape& dims = {}, bool keepdim = false);
Tensor any(const Tensor& x, const Shape& dims = {}, bool keepdim = false);

// --- linear algebra -------------------------------------------------------------------------
// NumPy matmul semantics: 1-d operands are promoted and the added dim removed; batch dims
// broadcast. Transposed or strided operands are used in place, without copies.
Tensor matmul(const Tensor& a, const Tensor& b);
Tensor bmm(const Tensor& a, const Tensor& b);  // [B, M, K] @ [B, K, N]
// beta * c + alpha * (a @ b), a and b 2-d, c broadcast to [M, N].
Tensor addmm(const Tensor& c, const Tensor& a, const Tensor& b, double beta = 1.0,
             double alpha = 1.0);
Tensor outer(const Tensor& a, const Tensor& b);
Tensor dot(const Tensor& a, const Tensor& b);

// --- joining, splitting and rearranging -----------------------------------------------------
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim = 0);
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim = 0);
std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim = 0);
std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim = 0);
std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim = 0);
Tensor tril(const Tensor& x, int64_t diagonal = 0);
Tensor triu(const Tensor& x, int64_t diagonal = 0);
// pads: (left, right) pairs starting from the last dim, as in PyTorch's F.pad.
// mode: "constant" (with value) or "reflect".
Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, const std::string& mode = "constant",
           double value = 0.0);
Tensor flip(const Tensor& x, const Shape& dims);
Tensor roll(const Tensor& x, const Shape& shifts, const Shape& dims);
Tensor repeat(const Tensor& x, const Shape& repeats);
Tensor tile(const Tensor& x, const Shape& reps);

// --- indexing -------------------------------------------------------------------------------
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, double value);
Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
Tensor index_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src,
                 double alpha = 1.0);
Tensor masked_fill(const Tensor& x, const Tensor& mask, double value);
Tensor masked_select(const Tensor& x, const Tensor& mask);  // 1-d
// i64 indices -> i64 one-hot rows; num_classes = -1 infers max + 1.
Tensor one_hot(const Tensor& indices, int64_t num_classes = -1);
// Rows of `weight` ([num, dim]) picked by integer `indices` of any shape.
Tensor embedding(const Tensor& weight, const Tensor& indices);

// --- sorting and scans ----------------------------------------------------------------------
ValuesIndices sort(const Tensor& x, int64_t dim = -1, bool descending = false);  // stable
Tensor argsort(const Tensor& x, int64_t dim = -1, bool descending = false);
ValuesIndices topk(const Tensor& x, int64_t k, int64_t dim = -1, bool largest = true);
struct UniqueResult {
  Tensor values;   // sorted distinct values, 1-d
  Tensor inverse;  // i64, x's shape: position of each element in values
  Tensor counts;   // i64, one per value
};
UniqueResult unique(const Tensor& x);
// Integer and bool inputs accumulate in i64.
Tensor cumsum(const Tensor& x, int64_t dim);
Tensor cumprod(const Tensor& x, int64_t dim);

// --- softmax, dropout -----------------------------------------------------------------------
Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);
// Zeroes each element with probability p and scales the rest by 1/(1-p); identity when
// !training or p == 0. The mask comes from `gen` (default generator when null).
Tensor dropout(const Tensor& x, double p, bool training = true, Generator* gen = nullptr);
// The keep-mask dropout uses: bool, true with probability 1 - p.
Tensor dropout_mask(const Shape& shape, double p, Generator* gen = nullptr,
                    Device device = Device::cpu());

}  // namespace ember
