/** Loads the compiled addon; the only module in the repository that touches the `.node` file. */
import { createRequire } from 'node:module';

/** The shape of the compiled binding (see native/addon.cc). */
export interface NativeBinding {
  geteuid(): number;
}

const require = createRequire(import.meta.url);
export const native: NativeBinding = require('../build/Release/syscalls.node') as NativeBinding;
