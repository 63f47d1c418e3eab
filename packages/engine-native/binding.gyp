{
  # The oneDNN addon of @vgglab/engine-native. scripts/build.mjs runs node-gyp on this file and sets
  # VGGLAB_DNNL_INCLUDE_DIR to where it found oneapi/dnnl/dnnl.hpp (Debian: /usr/include).
  "variables": {
    "dnnl_include_dir%": "<!(node -p \"process.env.VGGLAB_DNNL_INCLUDE_DIR || '/usr/include'\")",
    "dnnl_lib_dir%": "<!(node -p \"process.env.VGGLAB_DNNL_LIB_DIR || '/usr/lib'\")"
  },
  "targets": [
    {
      "target_name": "vgglab_native",
      "sources": [
        "src/native/addon.cc",
        "src/native/context.cc",
        "src/native/conv.cc",
        "src/native/pooling.cc",
        "src/native/batchnorm.cc",
        "src/native/matmul.cc",
        "src/native/eltwise.cc",
        "src/native/reduce.cc",
        "src/native/optimizer.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "<(dnnl_include_dir)"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      # Exceptions on (oneDNN's C++ API throws dnnl::error; the addon turns it into a JS Error). No
      # -march: oneDNN picks its kernels for the CPU at run time, and the addon must run on any x86-64.
      # No -ffast-math and no FMA contraction: the optimizer updates must round as tfjs's float32 ops do.
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-O3", "-fopenmp", "-fexceptions", "-ffp-contract=off"],
      "libraries": ["-L<(dnnl_lib_dir)", "-ldnnl", "-fopenmp"]
    }
  ]
}
