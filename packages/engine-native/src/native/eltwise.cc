// Elementwise operations on oneDNN: unary functions, the ReLU gradient, and binary operations with the
// second operand broadcast (bias adds, batch-norm arithmetic, the loss). Unary data is treated as one
// flat vector; binary operands as row-major tensors of the same rank.
#include "context.hpp"

namespace vgglab {
namespace {

// Unary codes shared with src/kernels/eltwise.ts (UNARY_CODES).
enum Unary { RELU, SQUARE, SQRT, EXP, LOG, NEG, ABS, SIGMOID, TANH, RSQRT, ELU, RELU6, LEAKY_RELU };

struct UnaryAlgorithm {
  dnnl::algorithm algorithm;
  float alpha, beta;
};

UnaryAlgorithm unary_algorithm(int code, float alpha) {
  using a = dnnl::algorithm;
  switch (code) {
    case RELU: return {a::eltwise_relu, 0.f, 0.f};
    case SQUARE: return {a::eltwise_square, 0.f, 0.f};
    case SQRT: return {a::eltwise_sqrt, 0.f, 0.f};
    case EXP: return {a::eltwise_exp, 0.f, 0.f};
    case LOG: return {a::eltwise_log, 0.f, 0.f};
    case NEG: return {a::eltwise_linear, -1.f, 0.f};
    case ABS: return {a::eltwise_abs, 0.f, 0.f};
    case SIGMOID: return {a::eltwise_logistic, 0.f, 0.f};
    case TANH: return {a::eltwise_tanh, 0.f, 0.f};
    case RSQRT: return {a::eltwise_pow, 1.f, -0.5f};
    case ELU: return {a::eltwise_elu, 1.f, 0.f};
    case RELU6: return {a::eltwise_clip, 0.f, 6.f};
    case LEAKY_RELU: return {a::eltwise_relu, alpha, 0.f};
    default: throw dnnl::error(dnnl_invalid_arguments, "unknown unary code");
  }
}

struct UnaryEntry {
  dnnl::eltwise_forward::primitive_desc pd;
  dnnl::eltwise_forward prim;
  dnnl::memory src, dst;
};

struct ReluBackward {
  dnnl::eltwise_backward::primitive_desc pd;
  dnnl::eltwise_backward prim;
  dnnl::memory src, diff_dst, diff_src;
};

struct Binary {
  dnnl::binary::primitive_desc pd;
  dnnl::binary prim;
  dnnl::memory a, b, c;
};

PrimitiveCache<UnaryEntry> unary_cache;
PrimitiveCache<ReluBackward> relu_backward_cache;
PrimitiveCache<Binary> binary_cache;

size_t clear_eltwise_caches() {
  size_t n = unary_cache.size() + relu_backward_cache.size() + binary_cache.size();
  unary_cache.clear();
  relu_backward_cache.clear();
  binary_cache.clear();
  return n;
}

md flat(int64_t n) { return md({n}, dt::f32, tag::x); }

/** unary(code, x, y, alpha): y = f(x) elementwise (x and y may be the same array). */
Napi::Value UnaryOp(const Napi::CallbackInfo& info) {
  return guarded(info, "unary", [&] {
    int code = static_cast<int>(number(info, 0, "code"));
    float* x = f32(info, 1, "x");
    float* y = f32(info, 2, "y");
    float alpha = static_cast<float>(number(info, 3, "alpha"));
    int64_t n = static_cast<int64_t>(f32_length(info, 1));
    expect_length(info, 2, n, "y");
    UnaryEntry& e = unary_cache.get(make_key("unary", {code, n, float_bits(alpha)}), [&] {
      auto entry = std::make_unique<UnaryEntry>();
      UnaryAlgorithm u = unary_algorithm(code, alpha);
      dnnl::eltwise_forward::desc desc(dnnl::prop_kind::forward_inference, u.algorithm, flat(n), u.alpha, u.beta);
      entry->pd = dnnl::eltwise_forward::primitive_desc(desc, base_attr(), cpu_engine());
      entry->prim = dnnl::eltwise_forward(entry->pd);
      entry->src = dnnl::memory(flat(n), cpu_engine(), nullptr);
      entry->dst = dnnl::memory(flat(n), cpu_engine(), nullptr);
      return entry;
    });
    e.src.set_data_handle(x);
    e.dst.set_data_handle(y);
    e.prim.execute(cpu_stream(),
                   {{DNNL_ARG_SRC, e.src}, {DNNL_ARG_DST, e.dst}, {DNNL_ARG_SCRATCHPAD, scratchpad_for(e.pd)}});
    cpu_stream().wait();
  });
}

/** reluGrad(dy, x, dx): dx = dy where x > 0, else 0 (tfjs: dy · step(x)). */
Napi::Value ReluGrad(const Napi::CallbackInfo& info) {
  return guarded(info, "reluGrad", [&] {
    float* dy = f32(info, 0, "dy");
    float* x = f32(info, 1, "x");
    float* dx = f32(info, 2, "dx");
    int64_t n = static_cast<int64_t>(f32_length(info, 0));
    expect_length(info, 1, n, "x");
    expect_length(info, 2, n, "dx");
    ReluBackward& e = relu_backward_cache.get(make_key("relu_bwd", {n}), [&] {
      auto entry = std::make_unique<ReluBackward>();
      auto algorithm = dnnl::algorithm::eltwise_relu;
      dnnl::eltwise_forward::primitive_desc hint(
          dnnl::eltwise_forward::desc(dnnl::prop_kind::forward_training, algorithm, flat(n), 0.f, 0.f), base_attr(),
          cpu_engine());
      dnnl::eltwise_backward::desc desc(algorithm, flat(n), flat(n), 0.f, 0.f);
      entry->pd = dnnl::eltwise_backward::primitive_desc(desc, base_attr(), cpu_engine(), hint);
      entry->prim = dnnl::eltwise_backward(entry->pd);
      entry->src = dnnl::memory(flat(n), cpu_engine(), nullptr);
      entry->diff_dst = dnnl::memory(flat(n), cpu_engine(), nullptr);
      entry->diff_src = dnnl::memory(flat(n), cpu_engine(), nullptr);
      return entry;
    });
    e.src.set_data_handle(x);
    e.diff_dst.set_data_handle(dy);
    e.diff_src.set_data_handle(dx);
    e.prim.execute(cpu_stream(), {{DNNL_ARG_SRC, e.src},
                                  {DNNL_ARG_DIFF_DST, e.diff_dst},
                                  {DNNL_ARG_DIFF_SRC, e.diff_src},
                                  {DNNL_ARG_SCRATCHPAD, scratchpad_for(e.pd)}});
    cpu_stream().wait();
  });
}

// Binary codes shared with src/kernels/eltwise.ts (BINARY_CODES).
enum BinaryCode { ADD, SUB, MUL, DIV, MAX, MIN, SQUARED_DIFFERENCE };

dnnl::algorithm binary_algorithm(int code) {
  using a = dnnl::algorithm;
  switch (code) {
    case ADD: return a::binary_add;
    case SUB: case SQUARED_DIFFERENCE: return a::binary_sub;
    case MUL: return a::binary_mul;
    case DIV: return a::binary_div;
    case MAX: return a::binary_max;
    case MIN: return a::binary_min;
    default: throw dnnl::error(dnnl_invalid_arguments, "unknown binary code");
  }
}

md row_major(const dims& shape) {
  dims strides(shape.size());
  int64_t stride = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= shape[i];
  }
  return md(shape, dt::f32, strides);
}

/**
 * binary(code, a, b, c, shapeA, shapeB): c = a op b with b broadcast to a's shape (same rank; b's
 * dimensions are a's or 1). c has a's shape.
 */
Napi::Value BinaryOp(const Napi::CallbackInfo& info) {
  return guarded(info, "binary", [&] {
    int code = static_cast<int>(number(info, 0, "code"));
    float* a = f32(info, 1, "a");
    float* b = f32(info, 2, "b");
    float* c = f32(info, 3, "c");
    dims shape_a = ints(info, 4, "shapeA");
    dims shape_b = ints(info, 5, "shapeB");
    auto count = [](const dims& shape) {
      int64_t n = 1;
      for (int64_t d : shape) n *= d;
      return n;
    };
    if (shape_a.size() != shape_b.size()) throw dnnl::error(dnnl_invalid_arguments, "shapes of different ranks");
    expect_length(info, 1, count(shape_a), "a");
    expect_length(info, 2, count(shape_b), "b");
    expect_length(info, 3, count(shape_a), "c");
    std::vector<int64_t> key_params = {code, static_cast<int64_t>(shape_a.size())};
    key_params.insert(key_params.end(), shape_a.begin(), shape_a.end());
    key_params.insert(key_params.end(), shape_b.begin(), shape_b.end());
    Binary& e = binary_cache.get(make_key("binary", key_params), [&] {
      auto entry = std::make_unique<Binary>();
      dnnl::primitive_attr attr = base_attr();
      if (code == SQUARED_DIFFERENCE) {
        dnnl::post_ops ops;
        ops.append_eltwise(1.f, dnnl::algorithm::eltwise_square, 0.f, 0.f);
        attr.set_post_ops(ops);
      }
      dnnl::binary::desc desc(binary_algorithm(code), row_major(shape_a), row_major(shape_b), row_major(shape_a));
      entry->pd = dnnl::binary::primitive_desc(desc, attr, cpu_engine());
      entry->prim = dnnl::binary(entry->pd);
      entry->a = dnnl::memory(row_major(shape_a), cpu_engine(), nullptr);
      entry->b = dnnl::memory(row_major(shape_b), cpu_engine(), nullptr);
      entry->c = dnnl::memory(row_major(shape_a), cpu_engine(), nullptr);
      return entry;
    });
    e.a.set_data_handle(a);
    e.b.set_data_handle(b);
    e.c.set_data_handle(c);
    e.prim.execute(cpu_stream(), {{DNNL_ARG_SRC_0, e.a},
                                  {DNNL_ARG_SRC_1, e.b},
                                  {DNNL_ARG_DST, e.c},
                                  {DNNL_ARG_SCRATCHPAD, scratchpad_for(e.pd)}});
    cpu_stream().wait();
  });
}

}  // namespace

void register_eltwise(Napi::Env env, Napi::Object exports) {
  exports.Set("unary", Napi::Function::New(env, UnaryOp));
  exports.Set("reluGrad", Napi::Function::New(env, ReluGrad));
  exports.Set("binary", Napi::Function::New(env, BinaryOp));
  register_cache_clearer(clear_eltwise_caches);
}

}  // namespace vgglab
