{
  "targets": [
    {
      "target_name": "nbemu_unicorn",
      "sources": ["src/unicorn/binding.cc", "src/unicorn/hostio.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-O2", "<!@(pkg-config --cflags unicorn)"],
      "cflags": ["-pthread"],
      "ldflags": ["-pthread"],
      "libraries": ["<!@(pkg-config --libs unicorn)", "-lpthread"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LIBRARY": "libc++",
        "MACOSX_DEPLOYMENT_TARGET": "10.15",
        "OTHER_CPLUSPLUSFLAGS": ["-std=c++17", "<!@(pkg-config --cflags unicorn)"],
        "OTHER_LDFLAGS": ["<!@(pkg-config --libs-only-L unicorn)"]
      }
    }
  ]
}
