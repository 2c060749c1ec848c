/**
 * @ct/namespaces: GNU Guix's linux-container re-done over @ct/syscalls. A typed `ContainerSpec` becomes a child
 * plan (id maps, mounts, pivot_root, mount locking, exec) that @ct/syscalls runs; the Guix-shaped functions
 * (`callWithContainer`, `runContainerGuix`, `containerExcursion`, `evalInContainer`) wrap `runContainer`.
 *
 * Man pages: namespaces(7), user_namespaces(7), mount_namespaces(7), pid_namespaces(7).
 */
export * from './engine.js';
export {
  callWithContainer, runContainerGuix, toCommandSpec, type CommandLike, type GuixCallOptions, type GuixContainerOptions,
  type RunContainerGuixOptions,
} from './call-with-container.js';
export {
  containerExcursion, containerExcursionValue, type ExcursionOptions,
} from './excursion.js';
export { containerExcursionEval, containerExcursionEvalWith, type ExcursionEvalOptions } from './excursion-eval.js';
export {
  ContainerEvalError, ContainerExitError, evalInContainer, nodeRuntimePaths, type EvalOptions, type EvalTarget,
} from './eval-in-container.js';
// --- ct doctor (issue 14): set-up checks and the explanation of set-up failures ---
export {
  CHECK_IDS, type CheckId, type CheckResult, type CheckStatus, type DoctorReport, type DoctorTrials,
  type DoctorUser, type SetupCause, type TrialOutcome,
} from './doctor/types.js';
export {
  loginEnvironment, resolveDoctorEnvironment, type DoctorEnvironment, type DoctorOptions, type LoginEnvironment,
} from './doctor/environment.js';
export { formatDoctorReport, runDoctor } from './doctor/run-doctor.js';
export { explainSetupError, type SetupExplanation } from './doctor/explain.js';
export { capabilityGrants } from './doctor/check-ids.js';
export { realTrials } from './doctor/trials.js';
// --- end ct doctor ---
