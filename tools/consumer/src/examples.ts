/**
 * What each package's README Usage example needs and prints. The consumer test runs the README's own block (see
 * readme-usage.ts) in a project that installed that package alone; this table only says what to prepare and what
 * the example's output must show, in order.
 */

/** The expectations for one README example. */
export interface ExampleCase {
  /** The busybox test image (test-images/build/busybox) copied as ./busybox into the project first. */
  readonly busyboxImage: boolean;
  /** Patterns the example's stdout must match, each after the previous one's match. */
  readonly stdout: readonly RegExp[];
}

/** Per package name. A published package missing here fails the test (every README example runs). */
export const EXAMPLES: Readonly<Record<string, ExampleCase>> = {
  '@ct/syscalls': {
    busyboxImage: false,
    stdout: [/^box$/m, /^exit status 0$/m],
  },
  '@ct/namespaces': {
    busyboxImage: false,
    stdout: [/^status 42$/m, /^pid \d+ ready$/m, /^box$/m, /^exit 0$/m, /^refused$/m, /^256$/m, /^exit 0$/m],
  },
  '@ct/oci': {
    busyboxImage: true,
    stdout: [/^sha256:[0-9a-f]{64} (root|userns|rootless) 0$/m, /^\[ 'sh' \]/m, /layers\//, /^\[ 'sh' \] \[/m],
  },
  '@ct/runtime': {
    busyboxImage: false,
    stdout: [/^created$/m, /^hello from ct$/m, /^stopped$/m, /^exit status 0$/m],
  },
  '@ct/cli': {
    busyboxImage: true,
    stdout: [/^hello$/m, /^hi from ct$/m, /"status": "created"/, /^ct version \d+\.\d+\.\d+$/m],
  },
};

/**
 * Build scripts of third-party dependencies a package brings, which pnpm 12 refuses by default
 * (ERR_PNPM_IGNORED_BUILDS). @ct/cli: @oclif/plugin-plugins (what `ct plugins install` needs) depends on yarn 1,
 * whose preinstall script does nothing ct needs; its README's Install section tells pnpm users to answer
 * `allowBuilds: {yarn: false}`. The test checks the refusal names exactly these, then installs with that answer.
 */
export const KNOWN_BUILD_SCRIPTS: Readonly<Record<string, readonly string[]>> = {
  '@ct/cli': ['yarn'],
};
