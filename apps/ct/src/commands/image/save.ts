/**
 * `ct image save [-o FILE] [--format docker-archive|oci-archive] IMAGE` (podman save): an image of the store as
 * an archive that `ct image import`, `podman load` and `docker load` read, to FILE or to stdout (never to a
 * terminal). Its layers are made again from the store (@ct/oci saveImage): the image id after a load differs.
 */
import { closeSync, openSync } from 'node:fs';
import { Args, Command, Flags } from '@oclif/core';
import { saveImage } from '@ct/oci/unpack';
import { printJson, reportError, storeFlags, storeOptions } from '../../engine/image-output.js';

/** `ct image save`. */
export default class ImageSave extends Command {
  static override description = 'write an image of the image store as an archive (docker-archive or oci-archive)';

  static override aliases = ['save'];

  static override examples = [
    '<%= config.bin %> image save -o busybox.tar busybox',
    '<%= config.bin %> image save --format oci-archive busybox > busybox.oci.tar',
  ];

  static override args = { image: Args.string({ description: 'name or digest of the image', required: true }) };

  static override flags = {
    output: Flags.string({ char: 'o', description: 'write the archive to this file (default: stdout, when it is not a terminal)' }),
    format: Flags.string({ options: ['docker-archive', 'oci-archive'], default: 'docker-archive', description: 'the archive format (podman save\'s names)' }),
    ...storeFlags,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ImageSave);
    let fd = 1;
    try {
      if (flags.output === undefined && process.stdout.isTTY === true) throw new Error('image save: stdout is a terminal: give a file with -o, or redirect stdout');
      if (flags.output === undefined && flags.json) throw new Error('image save: --json prints the result on stdout: give the archive a file with -o');
      if (flags.output !== undefined) fd = openSync(flags.output, 'w', 0o644);
      const result = await saveImage(args.image, fd, { ...storeOptions(flags), format: flags.format as 'docker-archive' | 'oci-archive' });
      if (flags.json) printJson(result);
    } catch (err) {
      reportError(err, flags.json);
    } finally {
      if (fd !== 1) closeSync(fd);
    }
  }
}
