// Batched matrix product (tfjs's BatchMatMul and _FusedMatMul) on oneDNN's matmul: transposed operands
// are read in place through strides (no copy), a batch of 1 on either side is broadcast, and the fused
// bias and activation run as part of the primitive.
#include "context.hpp"

namespace vgglab {
namespace {

/** [batchA, batchB, m, n, k, transposeA, transposeB, hasBias, activation] (src/kernels/matmul.ts). */
struct MatmulShape {
  int64_t batch_a, batch_b, m, n, k, transpose_a, transpose_b, has_bias, activation;

  explicit MatmulShape(const std::vector<int64_t>& p)
      : batch_a(p.at(0)), batch_b(p.at(1)), m(p.at(2)), n(p.at(3)), k(p.at(4)), transpose_a(p.at(5)),
        transpose_b(p.at(6)), has_bias(p.at(7)), activation(p.at(8)) {}

  // a is [batch, m, k] in memory, or [batch, k, m] when transposed: the same logical matrix through strides.
  md a() const {
    return md({batch_a, m, k}, dt::f32, transpose_a ? dims{m * k, 1, m} : dims{m * k, k, 1});
  }
  md b() const {
    return md({batch_b, k, n}, dt::f32, transpose_b ? dims{k * n, 1, k} : dims{k * n, n, 1});
  }
  md c() const { return md({std::max(batch_a, batch_b), m, n}, dt::f32, dims{m * n, n, 1}); }
  md bias() const { return md({1, 1, n}, dt::f32, dims{n, n, 1}); }
};

struct MatmulEntry {
  dnnl::matmul::primitive_desc pd;
  dnnl::matmul prim;
  dnnl::memory a, b, c, bias;
};

PrimitiveCache<MatmulEntry> cache;

size_t clear_matmul_cache() {
  size_t n = cache.size();
  cache.clear();
  return n;
}

/** matmul(a, b, bias | null, c, params, alpha): c = act(a·b + bias), batched. */
Napi::Value Matmul(const Napi::CallbackInfo& info) {
  return guarded(info, "matmul", [&] {
    float* a = f32(info, 0, "a");
    float* b = f32(info, 1, "b");
    float* bias = f32_or_null(info, 2, "bias");
    float* c = f32(info, 3, "c");
    std::vector<int64_t> p = ints(info, 4, "params");
    float alpha = static_cast<float>(number(info, 5, "alpha"));
    MatmulShape s(p);
    expect_length(info, 0, s.batch_a * s.m * s.k, "a");
    expect_length(info, 1, s.batch_b * s.k * s.n, "b");
    expect_length(info, 2, s.n, "bias");
    expect_length(info, 3, std::max(s.batch_a, s.batch_b) * s.m * s.n, "c");
    if ((bias != nullptr) != (s.has_bias != 0)) {
      throw dnnl::error(dnnl_invalid_arguments, "bias given and params disagree");
    }
    std::vector<int64_t> key_params = p;
    key_params.push_back(float_bits(alpha));
    MatmulEntry& e = cache.get(make_key("matmul", key_params), [&] {
      auto entry = std::make_unique<MatmulEntry>();
      dnnl::primitive_attr attr = base_attr();
      dnnl::post_ops ops;
      if (append_activation(ops, static_cast<int>(s.activation), alpha)) attr.set_post_ops(ops);
      auto desc = s.has_bias ? dnnl::matmul::desc(s.a(), s.b(), s.bias(), s.c()) : dnnl::matmul::desc(s.a(), s.b(), s.c());
      entry->pd = dnnl::matmul::primitive_desc(desc, attr, cpu_engine());
      entry->prim = dnnl::matmul(entry->pd);
      entry->a = dnnl::memory(s.a(), cpu_engine(), nullptr);
      entry->b = dnnl::memory(s.b(), cpu_engine(), nullptr);
      entry->c = dnnl::memory(s.c(), cpu_engine(), nullptr);
      if (s.has_bias) entry->bias = dnnl::memory(s.bias(), cpu_engine(), nullptr);
      return entry;
    });
    e.a.set_data_handle(a);
    e.b.set_data_handle(b);
    e.c.set_data_handle(c);
    std::unordered_map<int, dnnl::memory> args = {
        {DNNL_ARG_SRC, e.a}, {DNNL_ARG_WEIGHTS, e.b}, {DNNL_ARG_DST, e.c}, {DNNL_ARG_SCRATCHPAD, scratchpad_for(e.pd)}};
    if (bias) {
      e.bias.set_data_handle(bias);
      args[DNNL_ARG_BIAS] = e.bias;
    }
    e.prim.execute(cpu_stream(), args);
    cpu_stream().wait();
  });
}

}  // namespace

void register_matmul(Napi::Env env, Napi::Object exports) {
  exports.Set("matmul", Napi::Function::New(env, Matmul));
  register_cache_clearer(clear_matmul_cache);
}

}  // namespace vgglab
