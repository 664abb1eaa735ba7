// Op-case rows for matrix products: matmul (every rank combination, batch broadcasting,
// transposed operands, empty and K = 0 edges), bmm, addmm, outer, dot.
#include "tests/cases/op_case.h"
#include "tests/cases/ref.h"

namespace ember::testing {
namespace {

// Reference matmul with NumPy semantics, in double.
Tensor ref_matmul(const Tensor& a_in, const Tensor& b_in) {
  ref::Array a = ref::of(a_in), b = ref::of(b_in);
  bool a_vec = a.shape.size() == 1, b_vec = b.shape.size() == 1;
  if (a_vec) a.shape.insert(0, 1);
  if (b_vec) b.shape.push_back(1);
  int64_t m = a.shape[a.shape.size() - 2], k = a.shape.back(), n = b.shape.back();
  Shape ab(a.shape.begin(), a.shape.end() - 2), bb(b.shape.begin(), b.shape.end() - 2);
  Shape batch = broadcast_shapes(ab, bb, "ref_matmul");
  Shape out_shape = batch;
  out_shape.push_back(m);
  out_shape.push_back(n);
  ref::Array out = ref::zeros(out_shape);
  for (int64_t bi = 0; bi < batch.numel(); ++bi) {
    Shape idx = ref::unravel(bi, batch);
    int64_t ao = ref::broadcast_index(idx, batch, ab) * m * k;
    int64_t bo = ref::broadcast_index(idx, batch, bb) * k * n;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double acc = 0;
        for (int64_t p = 0; p < k; ++p) acc += a[ao + i * k + p] * b[bo + p * n + j];
        out[(bi * m + i) * n + j] = acc;
      }
  }
  if (a_vec) out.shape.erase(out.shape.size() - 2);
  if (b_vec) out.shape.erase(out.shape.size() - 1);
  return ref::tensor(out);
}

OpCase matmul_case(const std::string& label, Shape a, Shape b, double tol_scale = 1.0) {
  OpCase c;
  c.op = "matmul";
  c.label = label;
  c.inputs = {{a}, {b}};
  c.run = [](const Tensors& x) { return Tensors{matmul(x[0], x[1])}; };
  c.reference = [](const Tensors& x) { return Tensors{ref_matmul(x[0], x[1])}; };
  c.tol_scale = tol_scale;
  return c;
}

}  // namespace

EMBER_OP_CASES(linalg_cases) {
  std::vector<OpCase> cases = {
      matmul_case("2-d small", {3, 4}, {4, 5}),
      matmul_case("2-d large odd (K = 199 f32 dot products: tol x10)", {131, 199}, {199, 257}, 10),
      matmul_case("batched with broadcast batch dims", {2, 1, 5, 6}, {3, 6, 7}),
      matmul_case("3-d @ 2-d folds the batch into M", {4, 9, 8}, {8, 3}),
      matmul_case("1-d @ 2-d", {6}, {6, 4}),
      matmul_case("2-d @ 1-d", {5, 6}, {6}),
      matmul_case("1-d @ 1-d", {17}, {17}),
      matmul_case("1-d @ batched", {6}, {2, 6, 3}),
      matmul_case("empty M", {0, 4}, {4, 3}),
      matmul_case("K = 0 gives zeros", {3, 0}, {0, 2}),
      matmul_case("edge tiles 33x17x65 (tol x10: f32 dot products)", {33, 65}, {65, 17}, 10),
  };
  // Transposed operands are used in place: a^T @ b^T built from [K, M] and [N, K] inputs.
  OpCase t;
  t.op = "matmul";
  t.label = "transposed operands";
  t.inputs = {{{37, 23}}, {{29, 37}}};
  t.run = [](const Tensors& x) { return Tensors{matmul(x[0].t(), x[1].t())}; };
  t.reference = [](const Tensors& x) {
    return Tensors{ref_matmul(x[0].t().contiguous(), x[1].t().contiguous())};
  };
  t.tol_scale = 10;
  cases.push_back(t);
  OpCase ints = matmul_case("integers", {4, 7}, {7, 3});
  ints.inputs = {{{4, 7}, Fill::integer}, {{7, 3}, Fill::integer}};
  ints.dtypes = {DType::i32, DType::i64};
  cases.push_back(ints);

  OpCase b;
  b.op = "bmm";
  b.label = "batch of 5";
  b.inputs = {{{5, 3, 8}}, {{5, 8, 4}}};
  b.run = [](const Tensors& x) { return Tensors{bmm(x[0], x[1])}; };
  b.reference = [](const Tensors& x) { return Tensors{ref_matmul(x[0], x[1])}; };
  b.grad_inputs = {{{3, 3, 4}}, {{3, 4, 2}}};  // small enough for gradgradcheck too
  cases.push_back(b);

  for (auto [beta, alpha] : {std::pair{1.0, 1.0}, {0.5, -2.0}, {0.0, 1.5}}) {
    OpCase c;
    c.op = "addmm";
    c.label = "beta " + std::to_string(beta) + " alpha " + std::to_string(alpha) +
              ", bias row broadcast";
    c.inputs = {{{6}}, {{4, 9}}, {{9, 6}}};
    c.run = [beta, alpha](const Tensors& x) {
      return Tensors{addmm(x[0], x[1], x[2], beta, alpha)};
    };
    c.reference = [beta, alpha](const Tensors& x) {
      ref::Array p = ref::of(ref_matmul(x[1], x[2])), bias = ref::of(x[0]);
      for (int64_t i = 0; i < p.numel(); ++i) p[i] = alpha * p[i] + beta * bias[i % 6];
      return Tensors{ref::tensor(p)};
    };
    cases.push_back(c);
  }

  OpCase o;
  o.op = "outer";
  o.label = "7 x 5";
  o.inputs = {{{7}}, {{5}}};
  o.run = [](const Tensors& x) { return Tensors{outer(x[0], x[1])}; };
  o.reference = [](const Tensors& x) {
    return Tensors{ref_matmul(x[0].unsqueeze(1), x[1].unsqueeze(0))};
  };
  cases.push_back(o);

  OpCase d;
  d.op = "dot";
  d.label = "length 1001 (tol x10: f32 sum of 1001 products)";
  d.inputs = {{{1001}}, {{1001}}};
  d.run = [](const Tensors& x) { return Tensors{dot(x[0], x[1])}; };
  d.reference = [](const Tensors& x) { return Tensors{ref_matmul(x[0], x[1])}; };
  d.tol_scale = 10;
  cases.push_back(d);
  shrink_for_gradcheck(cases);
  return cases;
}

}  // namespace ember::testing
