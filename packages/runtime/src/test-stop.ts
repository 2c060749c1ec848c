/**
 * Fault injection for tests (issue 24): `CT_TEST_STOP_AT=<point>` in the environment makes ct stop itself
 * (SIGSTOP) when it reaches that named step, so a test can SIGKILL it exactly there and check what the cleanup
 * verbs leave. Environment only: no flag, no effect when unset. The points are a closed list, so a test naming a
 * point that does not exist fails to type-check rather than waiting forever.
 *
 * Man pages: signal(7) (SIGSTOP).
 */

/** The named steps of `create` where a test may stop ct. */
export const STOP_POINTS = [
  /** The state directory and the first record (with the planned cgroups) are written; nothing else exists. */
  'after-record',
  /** In the launch, at the pause before pivot_root: the cgroup exists and holds the cloned init. */
  'in-launch',
  /** The launch returned: the init waits on the exec FIFO; the record does not name its pid yet. */
  'after-launch',
  /** The record names the init's pid and its cgroup; the pid file is not written yet. */
  'after-record-pid',
] as const;

/** A stop point. */
export type StopPoint = (typeof STOP_POINTS)[number];

/** Stop this process (SIGSTOP) when `CT_TEST_STOP_AT` names `point`. */
export function stopForTest(point: StopPoint, env: Readonly<Record<string, string | undefined>> = process.env): void {
  if (env['CT_TEST_STOP_AT'] === point) process.kill(process.pid, 'SIGSTOP');
}
