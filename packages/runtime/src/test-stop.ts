/**
 * Fault injection for tests (issue 24): `CT_TEST_STOP_AT=<point>` in the environment makes ct stop itself
 * (SIGSTOP) when it reaches that named step, so a test can SIGKILL it exactly there and check what the cleanup
 * verbs leave. Environment only: no flag, no effect when unset. The points are a closed list, so a test naming a
 * point that does not exist fails to type-check rather than waiting forever.
 *
 * Man pages: signal(7) (SIGSTOP).
 */

/** The named steps of `create` where a test may stop ct (create-crash.test.ts). */
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

/**
 * The named steps of `ct container run` (image-run.ts, container-run.ts, the monitor of a detached run), in the
 * order a run passes them; create's points above fall between `run:configured` and `run:network-attached`.
 */
export const RUN_STOP_POINTS = [
  /** The name is claimed (the bundle dir with claim.json); the store has no root for it yet. */
  'run:claimed',
  /** The store's `containers/<id>` exists; the bundle's store.json names the store but not the image yet. */
  'run:root-made',
  /** The bundle is complete (store.json, config.json): create comes next (in the monitor when detached). */
  'run:configured',
  /** The network helpers run (pasta, slirp4netns) or the bridge is attached; the container is not started. */
  'run:network-attached',
  /** The container runs (a detached run's monitor has told its caller so). */
  'run:started',
  /** The container has exited; its owner has not detached the network or removed it (--rm) yet. */
  'run:exited',
  /**
   * A `--restart` container's monitor restarts it: the exited run's state is deleted (restart.json counts the
   * restart, the monitor holds the claim and the restart lock); the next run is not created yet.
   */
  'run:restarting',
] as const;

/** The named steps of `delete` (`ct delete`, `ct container rm`), after the container's own steps. */
export const DELETE_STOP_POINTS = [
  /** The container is dead, its cgroups and state dir are gone; the run bundle (network record, store root) is not. */
  'delete:state-removed',
] as const;

/** A stop point. */
export type StopPoint = (typeof STOP_POINTS)[number] | (typeof RUN_STOP_POINTS)[number] | (typeof DELETE_STOP_POINTS)[number];

/** Stop this process (SIGSTOP) when `CT_TEST_STOP_AT` names `point`. */
export function stopForTest(point: StopPoint, env: Readonly<Record<string, string | undefined>> = process.env): void {
  if (env['CT_TEST_STOP_AT'] === point) process.kill(process.pid, 'SIGSTOP');
}
