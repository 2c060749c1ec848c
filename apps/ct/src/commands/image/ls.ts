/**
 * `ct image ls`: the images of the store, as a table or (--json) an array of image records; below the table, the
 * space killed imports and pulls left (staging dirs, partial downloads) when there is any. `--format` takes podman's
 * small template form (engine/format-template.ts) over the fields of engine/image-output.ts imageRows; `-q` prints
 * the image ids only, once each.
 */
import { Command, Flags } from '@oclif/core';
import { listImages, storeLeftovers } from '@ct/oci/store';
import { humanSize, imageRows, imageTable, printJson, reportError, storeFlags, storeOptions } from '../../engine/image-output.js';

/** `ct image ls`. */
export default class ImageLs extends Command {
  static override description = 'list the images in the image store';

  static override aliases = ['images'];

  static override examples = [
    '<%= config.bin %> image ls', '<%= config.bin %> image ls --json', '<%= config.bin %> image ls -q',
    `<%= config.bin %> image ls --format '{{.Repository}}:{{.Tag}} {{.ID}}'`,
  ];

  static override flags = {
    ...storeFlags,
    format: Flags.string({ description: 'print each image as this template says ({{.Repository}}, {{.Tag}}, {{.ID}}, {{.Digest}}, {{.Size}}, {{.CreatedAt}}, {{.Names}}), or json' }),
    quiet: Flags.boolean({ char: 'q', description: 'print the image ids only' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ImageLs);
    try {
      const images = await listImages(storeOptions(flags));
      if (flags.json) printJson(images);
      else if (flags.quiet) process.stdout.write([...new Set(images.map((i) => i.digest.slice(7, 19)))].map((id) => `${id}\n`).join(''));
      else if (flags.format !== undefined) {
        const { renderFormat } = await import('../../engine/format-template.js');
        const rows = imageRows(images);
        process.stdout.write(flags.format === 'json' ? `${renderFormat('json', rows)}\n` : rows.map((r) => `${renderFormat(flags.format!, r)}\n`).join(''));
      } else {
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
