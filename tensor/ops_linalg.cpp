// Front end of matrix products: matmul (NumPy semantics, batch broadcasting) and the
// composites bmm, addmm, outer, dot. Operands reach the kernel with their own strides, so
// transposed or sliced matrices are multiplied without copies.
#include "kernels/registry.h"
#include "tensor/grad_hook.h"
#include "tensor/iterator.h"
#include "tensor/ops.h"
#include "tensor/promotion.h"

namespace ember {

namespace {

DType matmul_dtype(const char* op, const Tensor& a, const Tensor& b) {
  check_same_device(op, {&a, &b});
  DType dt = promote_types(a.dtype(), b.dtype());
  EMBER_CHECK(dt != DType::b8, DTypeError, op, ": bool tensors cannot be multiplied; convert "
              "them with .to(DType::f32) or .to(DType::i64)");
  return dt;
}

// out[batch..., M, N] = alpha * a @ b + beta * out, with a [..., M, K] and b [..., K, N] of
// dtype out.dtype(), both at least 2-d, batch dims broadcast to out's.
void run_gemm(const Tensor& a, const Tensor& b, Tensor& out, double alpha, double beta) {
  GemmArgs g;
  const Shape& os = out.shape();
  int nb = os.size() - 2;
  Shape batch(os.begin(), os.begin() + nb);
  // Batch strides of t broadcast to `batch`: 0 on dims t lacks or has as size 1.
  auto batch_strides = [&](const Tensor& t) {
    Strides s = Shape::filled(nb, 0);
    int off = nb - (t.dim() - 2);
    for (int d = 0; d < t.dim() - 2; ++d) s[off + d] = t.size(d) == 1 ? 0 : t.stride(d);
    return s;
  };
  Strides sa = batch_strides(a), sb = batch_strides(b);
  g.batch_ndim = nb;
  for (int d = 0; d < nb; ++d) {
    g.batch_sizes[d] = batch[d];
    g.a_batch_strides[d] = sa[d];
    g.b_batch_strides[d] = sb[d];
    g.c_batch_strides[d] = out.stride(d);
  }
  g.m = a.size(-2);
  g.k = a.size(-1);
  g.n = b.size(-1);
  g.a = static_cast<const char*>(a.data_ptr());
  g.rsa = a.stride(-2);
  g.csa = a.stride(-1);
  g.b = static_cast<const char*>(b.data_ptr());
  g.rsb = b.stride(-2);
  g.csb = b.stride(-1);
  g.c = static_cast<char*>(out.data_ptr());
  g.rsc = out.stride(-2);
  g.csc = out.stride(-1);
  g.alpha = alpha;
  g.beta = beta;
  g.dtype = out.dtype();
  if (out.numel() == 0) return;
  kernel<GemmKernel>(OpId::matmul, out.device().type)(g);
}

}  // namespace

Tensor matmul(const Tensor& a_in, const Tensor& b_in) {
  DType dt = matmul_dtype("matmul", a_in, b_in);
  EMBER_CHECK(a_in.dim() >= 1 && b_in.dim() >= 1, ShapeError, "matmul: both operands need at "
              "least 1 dim, got shapes ", a_in.shape(), " and ", b_in.shape());
  // Compute on detached copies; the whole product records as one matmul below.
  Tensor a = a_in.detach().to(dt), b = b_in.detach().to(dt);
  const bool a_vec = a.dim() == 1, b_vec = b.dim() == 1;
  if (a_vec) a = a.unsqueeze(0);
  if (b_vec) b = b.unsqueeze(-1);
  int64_t k = a.size(-1);
  if (k != b.size(-2)) {
    throw ShapeError(str("matmul: shapes ", a_in.shape(), " and ", b_in.shape(),
                         " cannot be multiplied (", k, " != ", b.size(-2), ")"));
  }
  Shape a_batch(a.shape().begin(), a.shape().end() - 2);
  Shape b_batch(b.shape().begin(), b.shape().end() - 2);
  Shape batch = broadcast_shapes(a_batch, b_batch, "matmul");
  int64_t m = a.size(-2), n = b.size(-1);

  // b shared by every batch element (a linear layer on [B, T, K] input): one tall GEMM.
  Tensor out;
  if (!a_batch.empty() && b_batch.empty()) {
    Tensor a2 = a.reshape({-1, k});
    Tensor out2 = empty({a2.size(0), n}, dt, a.device());
    run_gemm(a2, b, out2, 1.0, 0.0);
    Shape s = batch;
    s.push_back(m);
    s.push_back(n);
    out = out2.view(s);
  } else {
    Shape s = batch;
    s.push_back(m);
    s.push_back(n);
    out = empty(s, dt, a.device());
    run_gemm(a, b, out, 1.0, 0.0);
  }
  if (a_vec) out = out.squeeze(-2);
  if (b_vec) out = out.squeeze(-1);
  if (grad_recording({&a_in, &b_in})) {
    record_op(OpCall{.op = OpId::matmul, .inputs = {a_in, b_in}, .outputs = {out}});
  }
  return out;
}

Tensor bmm(const Tensor& a, const Tensor& b) {
  EMBER_CHECK(a.dim() == 3 && b.dim() == 3 && a.size(0) == b.size(0), ShapeError,
              "bmm: expects [B, M, K] and [B, K, N] with the same B, got shapes ", a.shape(),
              " and ", b.shape());
  return matmul(a, b);
}

Tensor addmm(const Tensor& c, const Tensor& a_in, const Tensor& b_in, double beta, double alpha) {
  EMBER_CHECK(a_in.dim() == 2 && b_in.dim() == 2, ShapeError,
              "addmm: expects 2-d matrices, got shapes ", a_in.shape(), " and ", b_in.shape());
  DType dt = promote_types(matmul_dtype("addmm", a_in, b_in), c.dtype());
  check_same_device("addmm", {&c, &a_in});
  EMBER_CHECK(a_in.size(1) == b_in.size(0), ShapeError, "addmm: shapes ", a_in.shape(), " and ",
              b_in.shape(), " cannot be multiplied (", a_in.size(1), " != ", b_in.size(0), ")");
  Shape s{a_in.size(0), b_in.size(1)};
  EMBER_CHECK(broadcast_shapes(c.shape(), s, "addmm") == s, ShapeError, "addmm: input of shape ",
              c.shape(), " does not broadcast to the product's shape ", s);
  // With gradients wanted, the same value from differentiable primitives.
  if (grad_recording({&c, &a_in, &b_in})) {
    Tensor prod = matmul(a_in, b_in);
    if (alpha != 1.0) prod = mul(prod, alpha);
    return beta == 0.0 ? prod.to(dt) : add(beta == 1.0 ? c : mul(c, beta), prod).to(dt);
  }
  Tensor out = empty(s, dt, a_in.device());
  if (beta != 0.0) out.copy_(c);  // beta == 0: c is ignored, NaN included (as in BLAS)
  run_gemm(a_in.to(dt), b_in.to(dt), out, alpha, beta);
  return out;
}

Tensor outer(const Tensor& a, const Tensor& b) {
  EMBER_CHECK(a.dim() == 1 && b.dim() == 1, ShapeError, "outer: expects 1-d vectors, got shapes ",
              a.shape(), " and ", b.shape());
  return matmul(a.unsqueeze(1), b.unsqueeze(0));
}

Tensor dot(const Tensor& a, const Tensor& b) {
  EMBER_CHECK(a.dim() == 1 && b.dim() == 1 && a.size(0) == b.size(0), ShapeError,
              "dot: expects two 1-d vectors of the same length, got shapes ", a.shape(), " and ",
              b.shape());
  return matmul(a, b);
}

}  // namespace ember
