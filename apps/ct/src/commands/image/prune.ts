/**
 * `ct image prune`: remove what nothing refers to (nameless images no container uses, unused layers and blobs,
 * staging dirs of killed imports, download layouts of killed pulls). Prints what went, or the lists with --json.
 */
import { Command } from '@oclif/core';
import { pruneStore } from '@ct/oci/store';
import { printJson, reportError, storeFlags, storeOptions } from '../../engine/image-output.js';

/** `ct image prune`. */
export default class ImagePrune extends Command {
  static override description = 'remove unused images, layers and blobs and the leftovers of killed imports from the image store';

  static override examples = ['<%= config.bin %> image prune', '<%= config.bin %> image prune --json'];

  static override flags = { ...storeFlags };

  async run(): Promise<void> {
    const { flags } = await this.parse(ImagePrune);
    try {
      const removed = await pruneStore(storeOptions(flags));
      if (flags.json) printJson(removed);
      else {
        for (const d of removed.images) process.stdout.write(`deleted image ${d}\n`);
        for (const d of removed.layers) process.stdout.write(`deleted layer ${d}\n`);
        for (const d of removed.staging) process.stdout.write(`deleted staging ${d}\n`);
        for (const d of removed.downloads) process.stdout.write(`deleted download ${d}\n`);
      }
    } catch (err) {
      reportError(err, flags.json);
    }
  }
}
