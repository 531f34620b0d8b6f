{
  "targets": [
    {
      "target_name": "wbct_dnnl",
      "sources": ["segresnet_dnnl.cc", "group_norm.cc", "blend.cc"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-O3", "-fopenmp", "-fexceptions"],
      "ldflags": ["-fopenmp"],
      "libraries": ["-ldnnl"]
    }
  ]
}
