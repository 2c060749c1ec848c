/**
 * `ct image tag IMAGE NAME...` (podman tag): more names for an image of the store; a name another image holds
 * moves to this one. Prints nothing (the record with --json).
 */
import { Args, Command } from '@oclif/core';
import { tagImage } from '@ct/oci/store';
import { printJson, reportError, storeFlags, storeOptions } from '../../engine/image-output.js';

/** `ct image tag`. */
export default class ImageTag extends Command {
  static override description = 'add names to an image of the image store';

  static override aliases = ['tag'];

  static override examples = ['<%= config.bin %> image tag busybox mybox:v1', '<%= config.bin %> image tag sha256:3130… a:1 b:2 --json'];

  static override strict = false;

  static override args = {
    image: Args.string({ description: 'name or digest of the image', required: true }),
    name: Args.string({ description: 'a new name (several may follow)', required: true }),
  };

  static override flags = { ...storeFlags };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(ImageTag);
    const [image, ...names] = argv as string[];
    try {
      const record = await tagImage(image!, names, storeOptions(flags));
      if (flags.json) printJson(record);
    } catch (err) {
      reportError(err, flags.json);
    }
  }
}
