// Joining, splitting and rearranging: cat, stack, split, chunk, tril, triu, pad, flip, roll,
// repeat, tile. Composites of views, copies, cat and index_select, so autograd differentiates
// them through those ops' rules (cat records itself); only tril/triu run a kernel of their own.
#include <algorithm>
#include <sstream>

#include "kernels/registry.h"
#include "tensor/grad_hook.h"
#include "tensor/iterator.h"
#include "tensor/ops.h"
#include "tensor/promotion.h"

namespace ember {

namespace {

std::string list_str(const std::vector<int64_t>& v) {
  std::ostringstream os;
  os << '[';
  for (size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << v[i];
  os << ']';
  return os.str();
}

// PyTorch still skips 1-d tensors of shape [0] in cat, whatever their neighbours' shapes.
bool skipped_in_cat(const Tensor& t) { return t.dim() == 1 && t.size(0) == 0; }

void require_dims(const Tensor& x, int min_dims, const char* op) {
  EMBER_CHECK(x.dim() >= min_dims, ShapeError, op, ": input of shape ", x.shape(), " has ", x.dim(),
              " dims; expected at least ", min_dims);
}

Tensor tri(const Tensor& x, int64_t diagonal, bool upper, const char* op) {
  EMBER_CHECK(x.dim() >= 2, ShapeError, op, ": input of shape ", x.shape(), " has ", x.dim(),
              " dims; expected at least 2 ([..., rows, cols])");
  Tensor out = empty(x.shape(), x.dtype(), x.device());
  ScalarArgs args;
  args.a = static_cast<double>(diagonal);
  args.b = upper ? 1.0 : 0.0;
  if (out.numel() > 0) {
    StridedLoop loop = make_loop(out, {&x}, /*coalesce=*/false);
    kernel<ElementwiseKernel>(OpId::tri, x.device().type)(loop, args);
  }
  if (grad_recording({&x})) {
    record_op(OpCall{.op = OpId::tri, .inputs = {x}, .outputs = {out}, .a = args.a, .b = args.b});
  }
  return out;
}

Tensor repeat_impl(const Tensor& x, const Shape& repeats, const char* op) {
  EMBER_CHECK(repeats.size() >= x.dim(), ShapeError, op, ": ", repeats.size(), " repeats ", repeats,
              " for a tensor of shape ", x.shape(), "; expected at least one per dim");
  for (int64_t r : repeats) {
    EMBER_CHECK(r >= 0, ValueError, op, ": repeats ", repeats,
                " contain a negative count; expected counts >= 0");
  }
  const int n = repeats.size();
  Shape padded = Shape::filled(n - x.dim(), 1);  // x's shape with leading 1s
  for (int64_t s : x.shape()) padded.push_back(s);
  Shape out_shape;
  int split_dims = 0;  // dims that need their own repeat dim in the interleaved view
  for (int d = 0; d < n; ++d) {
    out_shape.push_back(padded[d] * repeats[d]);
    if (repeats[d] != 1 && padded[d] != 1) ++split_dims;
  }
  Tensor src = x.reshape(padded);
  Tensor out;
  if (n + split_dims <= kMaxDims) {
    // One copy: src expanded to [r0, s0, r1, s1, ...] (size-1 dims expand in place and need no
    // r dim), made contiguous and viewed as the output. Views and a copy: differentiable.
    Shape expanded;
    Tensor v = src;
    for (int d = 0; d < n; ++d) {
      if (repeats[d] != 1 && padded[d] != 1) {
        v = v.unsqueeze(expanded.size());
        expanded.push_back(repeats[d]);
      }
      expanded.push_back(padded[d] == 1 ? repeats[d] : padded[d]);
    }
    out = v.expand(expanded).contiguous().view(out_shape);
  } else {
    // Too many dims for one view: repeat one dim at a time, each as [A, 1, S, B] -> [A, r, S, B].
    out = src.contiguous();
    for (int d = 0; d < n; ++d) {
      if (repeats[d] == 1) continue;
      Shape s = out.shape();
      int64_t a = 1, b = 1;
      for (int i = 0; i < d; ++i) a *= s[i];
      for (int i = d + 1; i < n; ++i) b *= s[i];
      Shape next_shape = s;
      next_shape[d] = s[d] * repeats[d];
      out =
          out.view({a, 1, s[d], b}).expand({a, repeats[d], s[d], b}).contiguous().view(next_shape);
    }
  }
  // All repeats 1 (or only size-1 dims expanded in place of a contiguous x): still a new tensor.
  return out.shares_storage(x) ? out.clone() : out;
}

}  // namespace

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
  EMBER_CHECK(!tensors.empty(), ValueError, "cat: got an empty list; expected at least one tensor");
  DType dtype = tensors[0].dtype();
  const Device device = tensors[0].device();
  int first = -1;  // the first tensor that is not skipped: its shape is the reference
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    EMBER_CHECK(t.device() == device, DeviceError, "cat: tensor ", i, " is on ", t.device().str(),
                " but tensor 0 is on ", device.str(), "; expected all tensors on one device");
    dtype = promote_types(dtype, t.dtype());
    EMBER_CHECK(t.dim() > 0, ShapeError, "cat: tensor ", i,
                " is 0-d; zero-dimensional tensors cannot be concatenated (unsqueeze them or use "
                "stack)");
    if (first < 0 && !skipped_in_cat(t)) first = static_cast<int>(i);
  }
  if (first < 0) {
    wrap_dim(dim, 1, "cat");
    return empty({0}, dtype, device);
  }
  const Tensor& ref = tensors[first];
  int d = wrap_dim(dim, ref.dim(), "cat");
  Shape out_shape = ref.shape();
  out_shape[d] = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    if (skipped_in_cat(t)) continue;
    EMBER_CHECK(t.dim() == ref.dim(), ShapeError, "cat: tensor ", i, " has shape ", t.shape(), " (",
                t.dim(), " dims) but tensor ", first, " has shape ", ref.shape(), " (", ref.dim(),
                " dims); expected the same number of dims");
    for (int e = 0; e < ref.dim(); ++e) {
      EMBER_CHECK(e == d || t.size(e) == ref.size(e), ShapeError, "cat: tensor ", i, " has shape ",
                  t.shape(), " but tensor ", first, " has shape ", ref.shape(),
                  "; sizes must match except in dim ", d, " (dim ", e, ": ", t.size(e), " vs ",
                  ref.size(e), ")");
    }
    out_shape[d] += t.size(d);
  }
  Tensor out = empty(out_shape, dtype, device);
  {
    // Built by in-place writes into a fresh tensor: cat records itself as one op instead.
    GradModeGuard no_grad(false);
    int64_t offset = 0;
    for (const Tensor& t : tensors) {
      if (skipped_in_cat(t)) continue;
      int64_t len = t.size(d);
      if (len > 0 && t.numel() > 0) out.narrow(d, offset, len).copy_(t);
      offset += len;
    }
  }
  if (grad_recording(tensors)) {
    record_op(OpCall{.op = OpId::cat, .inputs = tensors, .outputs = {out}, .dim = d});
  }
  return out;
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  EMBER_CHECK(!tensors.empty(), ValueError,
              "stack: got an empty list; expected at least one tensor");
  const Shape& s0 = tensors[0].shape();
  for (size_t i = 1; i < tensors.size(); ++i) {
    EMBER_CHECK(tensors[i].shape() == s0, ShapeError, "stack: tensor ", i, " has shape ",
                tensors[i].shape(), " but tensor 0 has shape ", s0,
                "; expected all tensors to have the same shape");
  }
  int d = wrap_dim(dim, tensors[0].dim() + 1, "stack");
  std::vector<Tensor> parts;
  parts.reserve(tensors.size());
  for (const Tensor& t : tensors) parts.push_back(t.unsqueeze(d));
  return cat(parts, d);
}

std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim) {
  require_dims(x, 1, "split");
  int d = wrap_dim(dim, x.dim(), "split");
  const int64_t n = x.size(d);
  EMBER_CHECK(split_size > 0 || (split_size == 0 && n == 0), ValueError, "split: split_size ",
              split_size, " cannot split dim ", d, " of size ", n,
              "; expected a positive split_size (0 only for an empty dim)");
  int64_t pieces = split_size == 0 ? 1 : std::max<int64_t>((n + split_size - 1) / split_size, 1);
  std::vector<Tensor> out;
  out.reserve(static_cast<size_t>(pieces));
  for (int64_t p = 0; p < pieces; ++p) {
    int64_t start = p * split_size;
    out.push_back(x.narrow(d, start, std::min(split_size, n - start)));
  }
  return out;
}

std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim) {
  require_dims(x, 1, "split");
  int d = wrap_dim(dim, x.dim(), "split");
  const int64_t n = x.size(d);
  int64_t total = 0;
  for (int64_t s : sizes) {
    EMBER_CHECK(s >= 0, ValueError, "split: sizes ", list_str(sizes),
                " contain a negative size; expected sizes >= 0");
    total += s;
  }
  EMBER_CHECK(total == n, ValueError, "split: sizes ", list_str(sizes), " sum to ", total,
              " but dim ", d, " has size ", n, "; expected them to sum exactly to ", n);
  std::vector<Tensor> out;
  out.reserve(sizes.size());
  int64_t start = 0;
  for (int64_t s : sizes) {
    out.push_back(x.narrow(d, start, s));
    start += s;
  }
  return out;
}

std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim) {
  require_dims(x, 1, "chunk");
  EMBER_CHECK(chunks > 0, ValueError, "chunk: chunks must be positive, got ", chunks);
  int d = wrap_dim(dim, x.dim(), "chunk");
  const int64_t n = x.size(d);
  // An empty dim still gives `chunks` pieces (like PyTorch); otherwise pieces of
  // ceil(n / chunks), so there may be fewer than `chunks`.
  if (n == 0) return split(x, std::vector<int64_t>(static_cast<size_t>(chunks), 0), d);
  return split(x, (n + chunks - 1) / chunks, d);
}

Tensor tril(const Tensor& x, int64_t diagonal) { return tri(x, diagonal, false, "tril"); }
Tensor triu(const Tensor& x, int64_t diagonal) { return tri(x, diagonal, true, "triu"); }

Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, const std::string& mode,
           double value) {
  EMBER_CHECK(mode == "constant" || mode == "reflect", ValueError, "pad: unknown mode \"", mode,
              "\"; expected \"constant\" or \"reflect\"");
  EMBER_CHECK(pads.size() % 2 == 0, ValueError, "pad: pads ", list_str(pads), " has ", pads.size(),
              " values; expected (left, right) pairs");
  const int pairs = static_cast<int>(pads.size() / 2);
  EMBER_CHECK(pairs <= x.dim(), ValueError, "pad: pads ", list_str(pads), " has ", pairs,
              " (left, right) pairs for a tensor of shape ", x.shape(),
              "; expected at most one pair per dim");
  Shape out_shape = x.shape();
  for (int p = 0; p < pairs; ++p) {
    int d = x.dim() - 1 - p;
    out_shape[d] += pads[2 * p] + pads[2 * p + 1];
    EMBER_CHECK(out_shape[d] >= 0, ShapeError, "pad: padding (", pads[2 * p], ", ", pads[2 * p + 1],
                ") of dim ", d, " of size ", x.size(d), " gives the negative size ", out_shape[d],
                "; input shape ", x.shape());
  }
  if (mode == "constant") {
    // Per padded dim: crop (negative pads) with a narrow view, then cat the padding blocks on
    // either side. One pass over the data per padded dim; differentiable through cat's rule.
    Tensor cur = x;
    for (int p = 0; p < pairs; ++p) {
      const int d = x.dim() - 1 - p;
      const int64_t left = pads[2 * p], right = pads[2 * p + 1];
      const int64_t start = std::max<int64_t>(0, -left);
      const int64_t len = std::max<int64_t>(0, x.size(d) - start - std::max<int64_t>(0, -right));
      if (start != 0 || len != cur.size(d)) cur = cur.narrow(d, start, len);
      if (left <= 0 && right <= 0) continue;
      auto block = [&](int64_t size) {
        Shape s = cur.shape();
        s[d] = size;
        return full(s, value, x.dtype(), x.device());
      };
      std::vector<Tensor> parts;
      if (left > 0) parts.push_back(block(left));
      parts.push_back(cur);
      if (right > 0) parts.push_back(block(right));
      cur = cat(parts, d);
    }
    return cur.shares_storage(x) ? cur.clone() : cur;
  }
  // reflect: index_select along each padded dim with the mirrored positions (edge excluded).
  Tensor cur = x;
  for (int p = 0; p < pairs; ++p) {
    int d = x.dim() - 1 - p;
    int64_t left = pads[2 * p], right = pads[2 * p + 1], n = x.size(d);
    if (left == 0 && right == 0) continue;
    EMBER_CHECK(left < n && right < n, ValueError, "pad: reflect padding (", left, ", ", right,
                ") of dim ", d, " must be smaller than its size ", n, "; input shape ", x.shape());
    std::vector<int64_t> idx(static_cast<size_t>(out_shape[d]));
    for (int64_t j = 0; j < out_shape[d]; ++j) {
      int64_t i = j - left;
      if (i < 0) i = -i;
      if (i >= n) i = 2 * (n - 1) - i;
      idx[static_cast<size_t>(j)] = i;
    }
    cur = index_select(cur, d, from_vector(idx).to(x.device()));
  }
  return cur.shares_storage(x) ? x.clone() : cur;
}

Tensor flip(const Tensor& x, const Shape& dims) {
  Strides strides = x.strides();
  int64_t offset = x.offset();
  bool seen[kMaxDims] = {};
  for (int64_t dim : dims) {
    int d = wrap_dim(dim, x.dim(), "flip");
    EMBER_CHECK(!seen[d], ValueError, "flip: dim ", d, " appears more than once in dims ", dims);
    seen[d] = true;
    if (x.dim() == 0 || x.size(d) <= 1) continue;
    // Start at the last element along d and step backwards.
    offset += (x.size(d) - 1) * strides[d];
    strides[d] = -strides[d];
  }
  if (x.numel() == 0) return x.clone();
  return x.as_strided(x.shape(), strides, offset).clone();
}

Tensor roll(const Tensor& x, const Shape& shifts, const Shape& dims) {
  if (dims.empty()) {
    EMBER_CHECK(shifts.size() == 1, ValueError, "roll: shifts ", shifts,
                " without dims; expected exactly one shift, applied to the flattened tensor");
    return roll(x.flatten(), shifts, {0}).view(x.shape());
  }
  EMBER_CHECK(shifts.size() == dims.size(), ValueError, "roll: shifts ", shifts, " and dims ", dims,
              " differ in length; expected one shift per dim");
  Tensor cur = x;
  for (int i = 0; i < dims.size(); ++i) {
    int d = wrap_dim(dims[i], x.dim(), "roll");
    const int64_t n = x.dim() == 0 ? 1 : x.size(d);
    if (n == 0) continue;
    int64_t s = (shifts[i] % n + n) % n;
    if (s == 0) continue;
    cur = cat({cur.narrow(d, n - s, s), cur.narrow(d, 0, n - s)}, d);
  }
  return cur.shares_storage(x) ? x.clone() : cur;
}

Tensor repeat(const Tensor& x, const Shape& repeats) { return repeat_impl(x, repeats, "repeat"); }

Tensor tile(const Tensor& x, const Shape& reps) {
  Shape r = reps;
  while (r.size() < x.dim()) r.insert(0, 1);
  return repeat_impl(x, r, "tile");
}

}  // namespace ember
