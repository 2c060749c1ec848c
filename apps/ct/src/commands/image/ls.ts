/** `ct image ls`: the images of the store, as a table or (--json) an array of image records. */
import { Command } from '@oclif/core';
import { listImages } from '@ct/oci/store';
import { imageTable, printJson, reportError, storeFlags, storeOptions } from '../../engine/image-output.js';

/** `ct image ls`. */
export default class ImageLs extends Command {
  static override description = 'list the images in the image store';

  static override examples = ['<%= config.bin %> image ls', '<%= config.bin %> image ls --json'];

  static override flags = { ...storeFlags };

  async run(): Promise<void> {
    const { flags } = await this.parse(ImageLs);
    try {
      const images = await listImages(storeOptions(flags));
      if (flags.json) printJson(images);
      else process.stdout.write(imageTable(images));
    } catch (err) {
      reportError(err, flags.json);
    }
  }
}
