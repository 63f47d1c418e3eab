// 2-D convolution: forward (with bias and activation as post-ops), the input gradient and the filter
// gradient, on tfjs's layouts: activations NHWC, filters [kh, kw, in, out] (oneDNN's hwio). Activations
// stay NHWC (a reorder of every activation would cost more than the blocked layout gains); weights go to
// the layout the primitive prefers (format_tag::any), reordered each call because the optimizer changes
// them every step (a few hundred microseconds for VGG16's convs, against seconds of convolution).
#include "context.hpp"

namespace vgglab {
namespace {

/** The shape parameters every conv call passes, in this order (src/kernels/conv.ts: convParams). */
struct ConvShape {
  int64_t n, h, w, c, kh, kw, oc, oh, ow, sh, sw, dh, dw, pt, pl, pb, pr;

  explicit ConvShape(const std::vector<int64_t>& p)
      : n(p.at(0)), h(p.at(1)), w(p.at(2)), c(p.at(3)), kh(p.at(4)), kw(p.at(5)), oc(p.at(6)), oh(p.at(7)),
        ow(p.at(8)), sh(p.at(9)), sw(p.at(10)), dh(p.at(11)), dw(p.at(12)), pt(p.at(13)), pl(p.at(14)),
        pb(p.at(15)), pr(p.at(16)) {}

  md src() const { return md({n, c, h, w}, dt::f32, tag::nhwc); }
  md dst() const { return md({n, oc, oh, ow}, dt::f32, tag::nhwc); }
  md user_weights() const { return md({oc, c, kh, kw}, dt::f32, tag::hwio); }
  md any_weights() const { return md({oc, c, kh, kw}, dt::f32, tag::any); }
  md bias() const { return md({oc}, dt::f32, tag::x); }
  dims strides() const { return {sh, sw}; }
  // oneDNN counts dilation from 0 (a dense kernel), tfjs from 1.
  dims dilates() const { return {dh - 1, dw - 1}; }
  dims pad_l() const { return {pt, pl}; }
  dims pad_r() const { return {pb, pr}; }

  dnnl::convolution_forward::primitive_desc forward(dnnl::prop_kind kind, bool with_bias,
                                                    const dnnl::primitive_attr& attr) const {
    auto desc = with_bias ? dnnl::convolution_forward::desc(kind, dnnl::algorithm::convolution_direct, src(),
                                                            any_weights(), bias(), dst(), strides(), dilates(),
                                                            pad_l(), pad_r())
                          : dnnl::convolution_forward::desc(kind, dnnl::algorithm::convolution_direct, src(),
                                                            any_weights(), dst(), strides(), dilates(), pad_l(),
                                                            pad_r());
    return dnnl::convolution_forward::primitive_desc(desc, attr, cpu_engine());
  }

  // The backward primitives take a forward descriptor of the same shape as a hint.
  dnnl::convolution_backward_data::primitive_desc backward_data(const dnnl::primitive_attr& attr) const {
    dnnl::convolution_backward_data::desc desc(dnnl::algorithm::convolution_direct, src(), any_weights(), dst(),
                                               strides(), dilates(), pad_l(), pad_r());
    return {desc, attr, cpu_engine(), forward(dnnl::prop_kind::forward_training, false, attr)};
  }

  dnnl::convolution_backward_weights::primitive_desc backward_weights(const dnnl::primitive_attr& attr) const {
    dnnl::convolution_backward_weights::desc desc(dnnl::algorithm::convolution_direct, src(), any_weights(), dst(),
                                                  strides(), dilates(), pad_l(), pad_r());
    return {desc, attr, cpu_engine(), forward(dnnl::prop_kind::forward_training, false, attr)};
  }
};

/** A reorder from the user's hwio weights into the primitive's layout (in the shared weights scratch). */
struct WeightsIn {
  bool needed = false;
  dnnl::reorder reorder;
  dnnl::memory user, inner;

  void init(const md& user_md, const md& wanted) {
    user = dnnl::memory(user_md, cpu_engine(), nullptr);
    needed = user_md != wanted;
    if (!needed) {
      inner = user;
      return;
    }
    inner = dnnl::memory(wanted, cpu_engine(), nullptr);
    reorder = dnnl::reorder(user, inner);
  }

  /** The weights in the primitive's layout, for data at `user_data`, valid until the next call. */
  dnnl::memory& from(float* user_data) {
    user.set_data_handle(user_data);
    if (needed) {
      inner.set_data_handle(weights_scratch(inner.get_desc().get_size()));
      reorder.execute(cpu_stream(), user, inner);
    }
    return inner;
  }
};

struct ConvForward {
  dnnl::convolution_forward::primitive_desc pd;
  dnnl::convolution_forward prim;
  WeightsIn weights;
  dnnl::memory src, dst, bias;
};

struct ConvBackwardData {
  dnnl::convolution_backward_data::primitive_desc pd;
  dnnl::convolution_backward_data prim;
  WeightsIn weights;
  dnnl::memory diff_dst, diff_src;
};

struct ConvBackwardWeights {
  dnnl::convolution_backward_weights::primitive_desc pd;
  dnnl::convolution_backward_weights prim;
  bool reorder_out = false;
  dnnl::reorder out_reorder;
  dnnl::memory src, diff_dst, inner, user;
};

PrimitiveCache<ConvForward> forward_cache;
PrimitiveCache<ConvBackwardData> backward_data_cache;
PrimitiveCache<ConvBackwardWeights> backward_weights_cache;

size_t clear_conv_caches() {
  size_t n = forward_cache.size() + backward_data_cache.size() + backward_weights_cache.size();
  forward_cache.clear();
  backward_data_cache.clear();
  backward_weights_cache.clear();
  return n;
}

/** conv2d(x, filter, bias | null, y, params, activation, alpha): y = act(conv(x, filter) + bias). */
Napi::Value Conv2d(const Napi::CallbackInfo& info) {
  return guarded(info, "conv2d", [&] {
    float* x = f32(info, 0, "x");
    float* w = f32(info, 1, "filter");
    float* b = f32_or_null(info, 2, "bias");
    float* y = f32(info, 3, "y");
    std::vector<int64_t> p = ints(info, 4, "params");
    int activation = static_cast<int>(number(info, 5, "activation"));
    float alpha = static_cast<float>(number(info, 6, "alpha"));
    std::vector<int64_t> key_params = p;
    key_params.push_back(b != nullptr);
    key_params.push_back(activation);
    key_params.push_back(float_bits(alpha));
    ConvShape s(p);
    expect_length(info, 0, s.n * s.h * s.w * s.c, "x");
    expect_length(info, 1, s.kh * s.kw * s.c * s.oc, "filter");
    expect_length(info, 2, s.oc, "bias");
    expect_length(info, 3, s.n * s.oh * s.ow * s.oc, "y");
    ConvForward& e = forward_cache.get(make_key("conv_fwd", key_params), [&] {
      auto entry = std::make_unique<ConvForward>();
      dnnl::primitive_attr attr = base_attr();
      dnnl::post_ops ops;
      if (append_activation(ops, activation, alpha)) attr.set_post_ops(ops);
      entry->pd = s.forward(dnnl::prop_kind::forward_inference, b != nullptr, attr);
      entry->prim = dnnl::convolution_forward(entry->pd);
      entry->weights.init(s.user_weights(), entry->pd.weights_desc());
      entry->src = dnnl::memory(s.src(), cpu_engine(), nullptr);
      entry->dst = dnnl::memory(s.dst(), cpu_engine(), nullptr);
      if (b) entry->bias = dnnl::memory(s.bias(), cpu_engine(), nullptr);
      return entry;
    });
    e.src.set_data_handle(x);
    e.dst.set_data_handle(y);
    std::unordered_map<int, dnnl::memory> args = {{DNNL_ARG_SRC, e.src},
                                                  {DNNL_ARG_WEIGHTS, e.weights.from(w)},
                                                  {DNNL_ARG_DST, e.dst},
                                                  {DNNL_ARG_SCRATCHPAD, scratchpad_for(e.pd)}};
    if (b) {
      e.bias.set_data_handle(b);
      args[DNNL_ARG_BIAS] = e.bias;
    }
    e.prim.execute(cpu_stream(), args);
    cpu_stream().wait();
  });
}

/** conv2dBackwardData(dy, filter, dx, params): the input gradient. */
Napi::Value Conv2dBackwardData(const Napi::CallbackInfo& info) {
  return guarded(info, "conv2dBackwardData", [&] {
    float* dy = f32(info, 0, "dy");
    float* w = f32(info, 1, "filter");
    float* dx = f32(info, 2, "dx");
    std::vector<int64_t> p = ints(info, 3, "params");
    ConvShape s(p);
    expect_length(info, 0, s.n * s.oh * s.ow * s.oc, "dy");
    expect_length(info, 1, s.kh * s.kw * s.c * s.oc, "filter");
    expect_length(info, 2, s.n * s.h * s.w * s.c, "dx");
    ConvBackwardData& e = backward_data_cache.get(make_key("conv_bwd_data", p), [&] {
      auto entry = std::make_unique<ConvBackwardData>();
      entry->pd = s.backward_data(base_attr());
      entry->prim = dnnl::convolution_backward_data(entry->pd);
      entry->weights.init(s.user_weights(), entry->pd.weights_desc());
      entry->diff_dst = dnnl::memory(s.dst(), cpu_engine(), nullptr);
      entry->diff_src = dnnl::memory(s.src(), cpu_engine(), nullptr);
      return entry;
    });
    e.diff_dst.set_data_handle(dy);
    e.diff_src.set_data_handle(dx);
    e.prim.execute(cpu_stream(), {{DNNL_ARG_DIFF_DST, e.diff_dst},
                                  {DNNL_ARG_WEIGHTS, e.weights.from(w)},
                                  {DNNL_ARG_DIFF_SRC, e.diff_src},
                                  {DNNL_ARG_SCRATCHPAD, scratchpad_for(e.pd)}});
    cpu_stream().wait();
  });
}

/** conv2dBackwardFilter(x, dy, dw, params): the filter gradient, written in hwio. */
Napi::Value Conv2dBackwardFilter(const Napi::CallbackInfo& info) {
  return guarded(info, "conv2dBackwardFilter", [&] {
    float* x = f32(info, 0, "x");
    float* dy = f32(info, 1, "dy");
    float* dw = f32(info, 2, "dw");
    std::vector<int64_t> p = ints(info, 3, "params");
    ConvShape s(p);
    expect_length(info, 0, s.n * s.h * s.w * s.c, "x");
    expect_length(info, 1, s.n * s.oh * s.ow * s.oc, "dy");
    expect_length(info, 2, s.kh * s.kw * s.c * s.oc, "dw");
    ConvBackwardWeights& e = backward_weights_cache.get(make_key("conv_bwd_weights", p), [&] {
      auto entry = std::make_unique<ConvBackwardWeights>();
      entry->pd = s.backward_weights(base_attr());
      entry->prim = dnnl::convolution_backward_weights(entry->pd);
      entry->src = dnnl::memory(s.src(), cpu_engine(), nullptr);
      entry->diff_dst = dnnl::memory(s.dst(), cpu_engine(), nullptr);
      entry->user = dnnl::memory(s.user_weights(), cpu_engine(), nullptr);
      md wanted = entry->pd.diff_weights_desc();
      entry->reorder_out = wanted != s.user_weights();
      if (entry->reorder_out) {
        entry->inner = dnnl::memory(wanted, cpu_engine(), nullptr);
        entry->out_reorder = dnnl::reorder(entry->inner, entry->user);
      }
      return entry;
    });
    e.src.set_data_handle(x);
    e.diff_dst.set_data_handle(dy);
    e.user.set_data_handle(dw);
    if (e.reorder_out) e.inner.set_data_handle(weights_scratch(e.inner.get_desc().get_size()));
    dnnl::memory& out = e.reorder_out ? e.inner : e.user;
    e.prim.execute(cpu_stream(), {{DNNL_ARG_SRC, e.src},
                                  {DNNL_ARG_DIFF_DST, e.diff_dst},
                                  {DNNL_ARG_DIFF_WEIGHTS, out},
                                  {DNNL_ARG_SCRATCHPAD, scratchpad_for(e.pd)}});
    if (e.reorder_out) e.out_reorder.execute(cpu_stream(), e.inner, e.user);
    cpu_stream().wait();
  });
}

/** convImplementations(params): which oneDNN implementation runs each direction (for logs and tests). */
Napi::Value ConvImplementations(const Napi::CallbackInfo& info) {
  Napi::Object out = Napi::Object::New(info.Env());
  guarded(info, "convImplementations", [&] {
    ConvShape s(ints(info, 0, "params"));
    dnnl::primitive_attr attr = base_attr();
    out.Set("forward", s.forward(dnnl::prop_kind::forward_training, false, attr).impl_info_str());
    out.Set("backwardData", s.backward_data(attr).impl_info_str());
    out.Set("backwardWeights", s.backward_weights(attr).impl_info_str());
  });
  return out;
}

}  // namespace

void register_conv(Napi::Env env, Napi::Object exports) {
  exports.Set("conv2d", Napi::Function::New(env, Conv2d));
  exports.Set("conv2dBackwardData", Napi::Function::New(env, Conv2dBackwardData));
  exports.Set("conv2dBackwardFilter", Napi::Function::New(env, Conv2dBackwardFilter));
  exports.Set("convImplementations", Napi::Function::New(env, ConvImplementations));
  register_cache_clearer(clear_conv_caches);
}

}  // namespace vgglab
