/**
 * `ct image import PATH[:TAG|@DIGEST] [--name NAME]`: bring an OCI layout, oci-archive or docker save archive
 * into the image store (@ct/oci importImage: verified, each layer unpacked once in overlay form). A progress
 * line on stderr when it is a terminal; prints the image's name and digest, or the record with --json.
 */
import { Args, Command, Flags } from '@oclif/core';
import { describeProgress, importImage } from '@ct/oci/unpack';
import { reportError, reportImported, storeFlags, storeOptions } from '../../engine/image-output.js';

/** `ct image import`. */
export default class ImageImport extends Command {
  static override description = 'import an image (OCI layout, oci-archive or docker save archive) into the image store';

  static override examples = [
    '<%= config.bin %> image import ./busybox',
    '<%= config.bin %> image import ./image.oci.tar:v1 --name myimage:v1 --json',
  ];

  static override args = {
    image: Args.string({ description: 'PATH[:TAG|@DIGEST] of the image', required: true }),
  };

  static override flags = {
    name: Flags.string({ description: 'name in the store (default: the tag, or the file name, with :latest)' }),
    ...storeFlags,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ImageImport);
    const tty = process.stderr.isTTY === true;
    try {
      const result = await importImage(args.image, {
        ...storeOptions(flags), ...(flags.name !== undefined ? { name: flags.name } : {}),
        ...(tty ? { onProgress: (e) => { const line = describeProgress(e); if (line !== undefined) process.stderr.write(`\r\x1b[K${line}`); } } : {}),
      });
      await reportImported(this.config, result, args.image, flags, tty);
    } catch (err) {
      if (tty) process.stderr.write('\r\x1b[K');
      reportError(err, flags.json);
    }
  }
}
