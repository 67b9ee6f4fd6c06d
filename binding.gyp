{
  # netsnap_static_runtime: libstdc++ linked into the addon (its symbols kept local), so that a prebuilt binary
  # needs nothing of the machine's C++ runtime (only glibc, see docs/INSTALL.md). The sanitized build
  # turns it off (ASan must see the C++ runtime's operator new and delete).
  "variables": {"netsnap_static_runtime%": "true"},
  "targets": [
    {
      "target_name": "netsnap",
      "sources": [
        "native/net_inet.cc",
        "native/netlink_diag.cc",
        "native/destroy_events.cc",
        "native/filter.cc",
        "native/tcp_info.cc",
        "native/net_unix.cc",
        "native/fd_link.cc",
        "native/read.cc",
        "native/owners.cc",
        "native/bpf_fds.cc",
        "native/proc_pid.cc",
        "native/sockstat.cc",
        "native/parallel.cc",
        "native/table.cc",
        "native/format.cc",
        "native/js_api.cc",
        "native/sample.cc",
        "native/module.cc"
      ],
      "include_dirs": ["native"],
      "dependencies": [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api"
      ],
      "cflags_cc": ["-std=c++17", "-O2", "-fno-exceptions", "-fstack-protector-strong", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "cflags_cc!": ["-fno-rtti"],
      "defines": ["NAPI_VERSION=8", "_FORTIFY_SOURCE=2"],
      "conditions": [
        ["netsnap_static_runtime=='true'", {"ldflags": ["-static-libstdc++", "-Wl,--exclude-libs,ALL", "-Wl,--gc-sections"]}]
      ]
    }
  ]
}
