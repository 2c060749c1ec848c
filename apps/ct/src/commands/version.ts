import { Command } from '@oclif/core';

/** `ct version`: prints the CLI's version (runc's `--version` line format comes with the runtime verbs). */
export default class Version extends Command {
  static override description = 'print the version of ct';

  async run(): Promise<void> {
    this.log(`ct version ${this.config.version}`);
  }
}
