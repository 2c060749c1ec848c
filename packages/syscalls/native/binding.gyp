{
  "targets": [
    {
      "target_name": "syscalls",
      "sources": [
        "addon.cc",
        "fs_at.cc",
        "meta.cc",
        "locks.cc",
        "process.cc",
        "sched.cc",
        "socket.cc",
        "spawn.cc",
        "plan_check.cc",
        "forkserver_start.cc",
        "pidfd_watch.cc",
        "tty.cc",
        "bpf.cc",
        "child_main.cc",
        "child_fs.cc",
        "child_mount.cc",
        "child_creds.cc",
        "child_ns.cc",
        "child_tty.cc",
        "child_exec.cc"
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
    },
    {
      "target_name": "ct-forkserver",
      "type": "executable",
      "sources": [
        "forkserver.cc",
        "plan_check.cc",
        "child_main.cc",
        "child_fs.cc",
        "child_mount.cc",
        "child_creds.cc",
        "child_ns.cc",
        "child_tty.cc",
        "child_exec.cc"
      ],
      "defines": [
        "_GNU_SOURCE"
      ],
      "cflags_cc": [
        "-std=c++17",
        "-Wall",
        "-Wextra"
      ],
      "ldflags": [
        "-static-libstdc++",
        "-static-libgcc"
      ]
    }
  ]
}
