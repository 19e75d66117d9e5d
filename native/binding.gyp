{
  "targets": [
    {
      "target_name": "flipdns_udp",
      "sources": ["udp.cc"],
      "include_dirs": ["../node_modules/node-addon-api"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
