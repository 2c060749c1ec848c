/**
 * `ct image ls`: the images of the store, as a table or (--json) an array of image records; below the table, the
 * space killed imports and pulls left (staging dirs, partial downloads) when there is any.
 */
import { Command } from '@oclif/core';
import { listImages, storeLeftovers } from '@ct/oci/store';
import { humanSize, imageTable, printJson, reportError, storeFlags, storeOptions } from '../../engine/image-output.js';

/** `ct image ls`. */
export default class ImageLs extends Command {
  static override description = 'list the images in the image store';

  static override aliases = ['images'];

  static override examples = ['<%= config.bin %> image ls', '<%= config.bin %> image ls --json'];

  static override flags = { ...storeFlags };

  async run(): Promise<void> {
    const { flags } = await this.parse(ImageLs);
    try {
      const images = await listImages(storeOptions(flags));
      if (flags.json) printJson(images);
      else {
        process.stdout.write(imageTable(images));
        const left = await storeLeftovers(storeOptions(flags));
        const n = left.staging.length + left.downloads.length;
        if (n > 0) process.stdout.write(`\n${humanSize(left.bytes)} in ${n} leftover${n > 1 ? 's' : ''} of killed imports and pulls (staging dirs, partial downloads): ct image prune removes them\n`);
      }
    } catch (err) {
      reportError(err, flags.json);
    }
  }
}
