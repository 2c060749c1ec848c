{
  "targets": [
    {
      "target_name": "syscalls",
      "sources": [
        "native/addon.cc",
        "native/fs_at.cc",
        "native/meta.cc",
        "native/locks.cc",
        "native/process.cc",
        "native/sched.cc",
        "native/socket.cc",
        "native/spawn.cc",
        "native/pidfd_watch.cc",
        "native/tty.cc",
        "native/bpf.cc",
        "native/child_main.cc",
        "native/child_fs.cc",
        "native/child_mount.cc",
        "native/child_creds.cc",
        "native/child_ns.cc",
        "native/child_tty.cc",
        "native/child_exec.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS",
        "_GNU_SOURCE"
      ],
      "cflags_cc": [
        "-std=c++17",
        "-Wall",
        "-Wextra"
      ]
    }
  ]
}