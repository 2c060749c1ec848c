/**
 * `ct image import PATH[:TAG|@DIGEST] [--name NAME]`: bring an OCI layout, oci-archive or docker save archive
 * into the image store (@ct/oci importImage: verified, each layer unpacked once in overlay form); `-` reads an
 * archive from stdin (the only time it reads stdin; refused on a terminal). A progress line on stderr when it is a
 * terminal; prints the image's name and digest, or the record with --json.
 */
import { Args, Command, Flags } from '@oclif/core';
import { describeProgress, importImage, importImageStream } from '@ct/oci/unpack';
import { reportError, reportImported, storeFlags, storeOptions } from '../../engine/image-output.js';

/** `ct image import`. */
export default class ImageImport extends Command {
  static override description = 'import an image (OCI layout, oci-archive or docker save archive) into the image store';

  static override examples = [
    '<%= config.bin %> image import ./busybox',
    '<%= config.bin %> image import ./image.oci.tar:v1 --name myimage:v1 --json',
    'podman save busybox | <%= config.bin %> image import -',
  ];

  static override args = {
    image: Args.string({ description: 'PATH[:TAG|@DIGEST] of the image, or - for an archive on stdin', required: true }),
  };

  static override flags = {
    name: Flags.string({ description: 'name in the store (default: the tag, or the file name, with :latest)' }),
    ...storeFlags,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ImageImport);
    const tty = process.stderr.isTTY === true;
    try {
      const options = {
        ...storeOptions(flags), ...(flags.name !== undefined ? { name: flags.name } : {}),
        ...(tty ? { onProgress: (e: Parameters<typeof describeProgress>[0]) => { const line = describeProgress(e); if (line !== undefined) process.stderr.write(`\r\x1b[K${line}`); } } : {}),
      };
      if (args.image === '-' && process.stdin.isTTY === true) throw new Error('image import -: stdin is a terminal: pipe an image archive into it, or give its path');
      const result = args.image === '-' ? await importImageStream(process.stdin, options) : await importImage(args.image, options);
      await reportImported(this.config, result, args.image, flags, tty);
    } catch (err) {
      if (tty) process.stderr.write('\r\x1b[K');
      reportError(err, flags.json);
    }
  }
}
