{
  "targets": [
    {
      "target_name": "mat_kernels",
      "sources": ["native/kernels.cc", "native/ort_runner.cc"],
      "cflags_cc": ["-O3", "-march=native", "-fno-math-errno", "-std=c++17"],
      "cflags!": ["-fno-exceptions"],
      "conditions": [["OS!='win'", { "libraries": ["-ldl"] }]]
    }
  ]
}
