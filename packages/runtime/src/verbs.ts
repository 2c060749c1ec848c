/**
 * `@ct/runtime/verbs`: the light entry of the runtime for the CLI's lean path. It loads neither @ct/namespaces,
 * @ct/oci nor (until a verb needs a lock or a pidfd) the @ct/syscalls addon, so `ct state` and `ct list` cost little
 * more than starting Node. create, run, `container run` and `features` come from the main entry.
 */
export { createContext, type GlobalOptions, type RuntimeContext } from './context.js';
export { containerState, listContainers, type ContainerState } from './container-state.js';
export { killContainer } from './container-kill.js';
export { deleteContainer } from './container-delete.js';
export { startContainer } from './container-start.js';
export { containerProcesses } from './container-ps.js';
export { processTable } from './container-ps-table.js';
export { RuntimeError } from './errors.js';
export { versionText } from './oci-version.js';
export { writeSpec } from './spec-template.js';
export { pauseContainer, resumeContainer } from './container-pause.js';
