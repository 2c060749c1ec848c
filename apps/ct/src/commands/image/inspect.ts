/** `ct image inspect NAME`: an image's record, config and layer dirs as JSON (always JSON; --json is accepted). */
import { Args, Command } from '@oclif/core';
import { inspectImage } from '@ct/oci/store';
import { printJson, reportError, storeFlags, storeOptions } from '../../engine/image-output.js';

/** `ct image inspect`. */
export default class ImageInspect extends Command {
  static override description = 'show an image of the store (record, image config, layer directories) as JSON';

  static override examples = ['<%= config.bin %> image inspect busybox', '<%= config.bin %> image inspect 3130fbcd4be7'];

  static override args = { image: Args.string({ description: 'name or digest (a prefix of 4 hex digits or more)', required: true }) };

  static override flags = { ...storeFlags };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ImageInspect);
    try {
      printJson(await inspectImage(args.image, storeOptions(flags)));
    } catch (err) {
      reportError(err, flags.json);
    }
  }
}
