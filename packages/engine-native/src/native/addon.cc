// The addon's entry point: each concern (conv, pooling, batch norm, matmul, elementwise, reductions,
// optimizer updates) registers its functions; this file adds the engine-wide ones (threads, version,
// cache control). src/addon.ts declares the whole surface for TypeScript.
#include <omp.h>

#include "context.hpp"

namespace vgglab {
namespace {

/** setThreads(n): threads for every later call (OpenMP; oneDNN reads it at each execution). */
Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  int threads = static_cast<int>(number(info, 0, "threads"));
  if (threads < 1) throw Napi::RangeError::New(info.Env(), "vgglab native: threads must be >= 1");
  set_threads(threads);
  return Napi::Number::New(info.Env(), get_threads());
}

const char* isa_name(dnnl::cpu_isa isa) {
  switch (isa) {
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    default: return "other";
  }
}

/** info(): the oneDNN version, the instruction set its kernels use on this CPU, threads, cached primitives. */
Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const dnnl_version_t* v = dnnl_version();
  Napi::Object out = Napi::Object::New(env);
  out.Set("dnnlVersion", std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch));
  out.Set("isa", isa_name(dnnl::get_effective_cpu_isa()));
  out.Set("threads", get_threads());
  out.Set("cores", omp_get_num_procs());
  return out;
}

/** clearCaches(): drops every cached primitive; returns how many there were. */
Napi::Value ClearCaches(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(clear_all_caches()));
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // Create OpenMP's worker threads now, with signals blocked (SignalShield), before any kernel runs.
  set_threads(0);
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("clearCaches", Napi::Function::New(env, ClearCaches));
  register_conv(env, exports);
  register_pooling(env, exports);
  register_batchnorm(env, exports);
  register_matmul(env, exports);
  register_eltwise(env, exports);
  register_reduce(env, exports);
  register_optimizer(env, exports);
  return exports;
}

}  // namespace vgglab

// NODE_API_MODULE names a helper after the function, so it takes an unqualified name.
static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return vgglab::Init(env, exports); }

NODE_API_MODULE(vgglab_native, InitAddon)
