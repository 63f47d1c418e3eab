// 2-D pooling on NHWC: max and average forward and average gradient on oneDNN; the max gradient is the
// addon's own loop, because tfjs's MaxPoolGrad receives the input and output but no oneDNN workspace, and
// because on ties (common after ReLU: many zeros) it must pick the element tfjs's `cpu` backend picks.
#include <omp.h>

#include <limits>

#include "context.hpp"

namespace vgglab {
namespace {

/** The parameters every pooling call passes, in this order (src/kernels/pool.ts: poolParams). */
struct PoolShape {
  int64_t n, h, w, c, kh, kw, oh, ow, sh, sw, pt, pl, pb, pr;

  explicit PoolShape(const std::vector<int64_t>& p)
      : n(p.at(0)), h(p.at(1)), w(p.at(2)), c(p.at(3)), kh(p.at(4)), kw(p.at(5)), oh(p.at(6)), ow(p.at(7)),
        sh(p.at(8)), sw(p.at(9)), pt(p.at(10)), pl(p.at(11)), pb(p.at(12)), pr(p.at(13)) {}

  md src() const { return md({n, c, h, w}, dt::f32, tag::nhwc); }
  md dst() const { return md({n, c, oh, ow}, dt::f32, tag::nhwc); }

  dnnl::pooling_forward::primitive_desc forward(dnnl::prop_kind kind, dnnl::algorithm algorithm) const {
    dnnl::pooling_forward::desc desc(kind, algorithm, src(), dst(), {sh, sw}, {kh, kw}, {pt, pl}, {pb, pr});
    return dnnl::pooling_forward::primitive_desc(desc, base_attr(), cpu_engine());
  }
};

struct PoolForward {
  dnnl::pooling_forward::primitive_desc pd;
  dnnl::pooling_forward prim;
  dnnl::memory src, dst;
};

struct PoolBackward {
  dnnl::pooling_backward::primitive_desc pd;
  dnnl::pooling_backward prim;
  dnnl::memory diff_dst, diff_src;
};

PrimitiveCache<PoolForward> forward_cache;
PrimitiveCache<PoolBackward> backward_cache;

size_t clear_pool_caches() {
  size_t n = forward_cache.size() + backward_cache.size();
  forward_cache.clear();
  backward_cache.clear();
  return n;
}

void pool_forward(const Napi::CallbackInfo& info, const char* op, dnnl::algorithm algorithm) {
  float* x = f32(info, 0, "x");
  float* y = f32(info, 1, "y");
  std::vector<int64_t> p = ints(info, 2, "params");
  PoolShape s(p);
  expect_length(info, 0, s.n * s.h * s.w * s.c, "x");
  expect_length(info, 1, s.n * s.oh * s.ow * s.c, "y");
  PoolForward& e = forward_cache.get(make_key(op, p), [&] {
    auto entry = std::make_unique<PoolForward>();
    entry->pd = s.forward(dnnl::prop_kind::forward_inference, algorithm);
    entry->prim = dnnl::pooling_forward(entry->pd);
    entry->src = dnnl::memory(s.src(), cpu_engine(), nullptr);
    entry->dst = dnnl::memory(s.dst(), cpu_engine(), nullptr);
    return entry;
  });
  e.src.set_data_handle(x);
  e.dst.set_data_handle(y);
  e.prim.execute(cpu_stream(),
                 {{DNNL_ARG_SRC, e.src}, {DNNL_ARG_DST, e.dst}, {DNNL_ARG_SCRATCHPAD, scratchpad_for(e.pd)}});
  cpu_stream().wait();
}

/** maxPool(x, y, params) */
Napi::Value MaxPool(const Napi::CallbackInfo& info) {
  return guarded(info, "maxPool", [&] { pool_forward(info, "max_pool", dnnl::algorithm::pooling_max); });
}

/** avgPool(x, y, params): the mean over the window's elements inside the input, as tfjs (padding excluded). */
Napi::Value AvgPool(const Napi::CallbackInfo& info) {
  return guarded(info, "avgPool",
                 [&] { pool_forward(info, "avg_pool", dnnl::algorithm::pooling_avg_exclude_padding); });
}

/**
 * avgPoolGrad(dy, dx, params): each dy value spread over its window divided by the FULL window size,
 * padding included, which is what tfjs's `cpu` kernel does (its forward pass excludes the padding).
 */
Napi::Value AvgPoolGrad(const Napi::CallbackInfo& info) {
  return guarded(info, "avgPoolGrad", [&] {
    float* dy = f32(info, 0, "dy");
    float* dx = f32(info, 1, "dx");
    std::vector<int64_t> p = ints(info, 2, "params");
    PoolShape s(p);
    expect_length(info, 0, s.n * s.oh * s.ow * s.c, "dy");
    expect_length(info, 1, s.n * s.h * s.w * s.c, "dx");
    PoolBackward& e = backward_cache.get(make_key("avg_pool_grad", p), [&] {
      auto entry = std::make_unique<PoolBackward>();
      auto algorithm = dnnl::algorithm::pooling_avg_include_padding;
      auto hint = s.forward(dnnl::prop_kind::forward_training, algorithm);
      dnnl::pooling_backward::desc desc(algorithm, s.src(), s.dst(), {s.sh, s.sw}, {s.kh, s.kw}, {s.pt, s.pl},
                                        {s.pb, s.pr});
      entry->pd = dnnl::pooling_backward::primitive_desc(desc, base_attr(), cpu_engine(), hint);
      entry->prim = dnnl::pooling_backward(entry->pd);
      entry->diff_dst = dnnl::memory(s.dst(), cpu_engine(), nullptr);
      entry->diff_src = dnnl::memory(s.src(), cpu_engine(), nullptr);
      return entry;
    });
    e.diff_dst.set_data_handle(dy);
    e.diff_src.set_data_handle(dx);
    e.prim.execute(cpu_stream(), {{DNNL_ARG_DIFF_DST, e.diff_dst},
                                  {DNNL_ARG_DIFF_SRC, e.diff_src},
                                  {DNNL_ARG_SCRATCHPAD, scratchpad_for(e.pd)}});
    cpu_stream().wait();
  });
}

/**
 * VGG's pooling (2x2 windows, stride 2, input exactly twice the output): the windows tile the input, so
 * each input element is written once, with its gradient or 0. First maximum wins (strictly greater, from
 * -Infinity, row-major), as on `cpu`.
 */
void max_pool_grad_tiled(const float* x, const float* dy, float* dx, const PoolShape& s) {
  const int64_t c = s.c, row = s.w * c, rows = s.n * s.oh;
#pragma omp parallel for schedule(static) if (rows * s.ow * c > 32768)
  for (int64_t r = 0; r < rows; r++) {
    const int64_t row0 = 2 * r * row;
    const float* g = dy + r * s.ow * c;
    for (int64_t ox = 0; ox < s.ow; ox++, g += c) {
      const int64_t a0 = row0 + 2 * ox * c, a1 = a0 + c, a2 = a0 + row, a3 = a2 + c;
      for (int64_t ch = 0; ch < c; ch++) {
        float best = -std::numeric_limits<float>::infinity();
        int at = -1;
        const float v0 = x[a0 + ch], v1 = x[a1 + ch], v2 = x[a2 + ch], v3 = x[a3 + ch];
        if (v0 > best) best = v0, at = 0;
        if (v1 > best) best = v1, at = 1;
        if (v2 > best) best = v2, at = 2;
        if (v3 > best) at = 3;
        const float grad = g[ch];
        dx[a0 + ch] = at == 0 ? grad : 0.f;
        dx[a1 + ch] = at == 1 ? grad : 0.f;
        dx[a2 + ch] = at == 2 ? grad : 0.f;
        dx[a3 + ch] = at == 3 ? grad : 0.f;
      }
    }
  }
}

/** Any window: per output position, the first maximum of each channel takes that position's dy. */
void max_pool_grad_general(const float* x, const float* dy, float* dx, const PoolShape& s) {
  const int64_t c = s.c, row = s.w * c;
  // Parallel over images: windows of one image may overlap, so one thread accumulates each image.
#pragma omp parallel if (s.n > 1 && s.n * s.h * row > 32768)
  {
    std::vector<float> best(c);
    std::vector<int64_t> best_at(c);
#pragma omp for schedule(static)
    for (int64_t n = 0; n < s.n; n++) {
      const int64_t x_base = n * s.h * row, dy_base = n * s.oh * s.ow * c;
      for (int64_t i = 0; i < s.h * row; i++) dx[x_base + i] = 0.f;
      for (int64_t oy = 0; oy < s.oh; oy++) {
        const int64_t y0 = oy * s.sh - s.pt, y_min = std::max<int64_t>(0, y0), y_max = std::min(s.h, y0 + s.kh);
        for (int64_t ox = 0; ox < s.ow; ox++) {
          const int64_t x0 = ox * s.sw - s.pl, x_min = std::max<int64_t>(0, x0), x_max = std::min(s.w, x0 + s.kw);
          std::fill(best.begin(), best.end(), -std::numeric_limits<float>::infinity());
          std::fill(best_at.begin(), best_at.end(), -1);
          for (int64_t yy = y_min; yy < y_max; yy++) {
            for (int64_t xx = x_min; xx < x_max; xx++) {
              const int64_t at = x_base + yy * row + xx * c;
              for (int64_t ch = 0; ch < c; ch++) {
                if (x[at + ch] > best[ch]) best[ch] = x[at + ch], best_at[ch] = at + ch;
              }
            }
          }
          const float* g = dy + dy_base + (oy * s.ow + ox) * c;
          for (int64_t ch = 0; ch < c; ch++) {
            if (best_at[ch] >= 0) dx[best_at[ch]] += g[ch];
          }
        }
      }
    }
  }
}

/** maxPoolGrad(x, dy, dx, params) */
Napi::Value MaxPoolGrad(const Napi::CallbackInfo& info) {
  const float* x = f32(info, 0, "x");
  const float* dy = f32(info, 1, "dy");
  float* dx = f32(info, 2, "dx");
  PoolShape s(ints(info, 3, "params"));
  expect_length(info, 0, s.n * s.h * s.w * s.c, "x");
  expect_length(info, 1, s.n * s.oh * s.ow * s.c, "dy");
  expect_length(info, 2, s.n * s.h * s.w * s.c, "dx");
  bool tiled = s.kh == 2 && s.kw == 2 && s.sh == 2 && s.sw == 2 && s.pt == 0 && s.pl == 0 && s.h == 2 * s.oh &&
               s.w == 2 * s.ow;
  if (tiled) {
    max_pool_grad_tiled(x, dy, dx, s);
  } else {
    max_pool_grad_general(x, dy, dx, s);
  }
  return info.Env().Undefined();
}

}  // namespace

void register_pooling(Napi::Env env, Napi::Object exports) {
  exports.Set("maxPool", Napi::Function::New(env, MaxPool));
  exports.Set("avgPool", Napi::Function::New(env, AvgPool));
  exports.Set("avgPoolGrad", Napi::Function::New(env, AvgPoolGrad));
  exports.Set("maxPoolGrad", Napi::Function::New(env, MaxPoolGrad));
  register_cache_clearer(clear_pool_caches);
}

}  // namespace vgglab
