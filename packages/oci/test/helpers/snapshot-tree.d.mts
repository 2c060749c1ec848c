/** One node of a tree snapshot. */
export interface NodeInfo { type: string; mode: number; uid: number; gid: number; link?: string; sha?: string; rdev?: number }
/** Walk `root` without following symlinks (owners from user.rootlesscontainers when `recordedOwners` is given). */
export function snapshotEntries(root: string, options?: { recordedOwners?: (path: Buffer) => { uid: number; gid: number } | undefined }): [string, NodeInfo][];
/** The snapshot as seen inside a user namespace. */
export function snapshotInside(root: string, recorded: boolean, ociDist: string): Promise<[string, NodeInfo][]>;
