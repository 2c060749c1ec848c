/**
 * `ct image rm NAME...`: drop names from the store; an image left without names goes, with the layers and blobs
 * nothing else uses (removed inside a user namespace when unprivileged). Refused for an image a container uses
 * unless --force.
 */
import { Args, Command, Flags } from '@oclif/core';
import { removeImage, type RemovedItems } from '@ct/oci/store';
import { printJson, reportError, storeFlags, storeOptions } from '../../engine/image-output.js';

/** `ct image rm`. */
export default class ImageRm extends Command {
  static override description = 'remove images from the image store';

  static override aliases = ['rmi'];

  static override examples = ['<%= config.bin %> image rm busybox', '<%= config.bin %> image rm --force sha256:3130…'];

  static override strict = false;

  static override args = { image: Args.string({ description: 'name or digest', required: true }) };

  static override flags = { force: Flags.boolean({ description: 'remove even when a container uses it' }), ...storeFlags };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(ImageRm);
    const results: RemovedItems[] = [];
    try {
      for (const name of argv as string[]) {
        const removed = await removeImage(name, { ...storeOptions(flags), force: flags.force });
        results.push(removed);
        if (!flags.json) process.stdout.write(removed.images.length > 0 ? `deleted ${removed.images.join(' ')}\n` : `untagged ${name}\n`);
      }
      if (flags.json) printJson(results);
    } catch (err) {
      // podman-rmi(1): 1 no such image, 2 an image a container uses
      reportError(err, flags.json, { STORE_IMAGE_IN_USE: 2 });
    }
  }
}
