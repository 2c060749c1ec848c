/** `ct version`: the version lines, through oclif (the lean entry answers `ct --version` itself). */
import { Command } from '@oclif/core';
import { versionText } from '@ct/runtime/verbs';
import { buildCommit } from '../engine/build-info.js';

/** `ct version`: the same lines as `ct --version` (runc's format: "ct version X", "commit: C", "spec: S"). */
export default class Version extends Command {
  static override description = 'print the version of ct';

  async run(): Promise<void> {
    process.stdout.write(versionText(buildCommit()));
  }
}
