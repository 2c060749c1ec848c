/**
 * `ct image unpack [--image] PATH[:TAG|@DIGEST] BUNDLE`: unpack an OCI image layout, oci-archive or docker save
 * archive into a runtime bundle (rootfs/ + config.json), as `umoci unpack` does. Calls @ct/oci's unpackImage, which
 * chooses root or the unprivileged user-namespace path by itself. A progress line on stderr when it is a terminal;
 * `--json` prints the result (or the error) as JSON on stdout. Errors: `Error: message` on stderr, exit code 1.
 */
import { Args, Command, Flags } from '@oclif/core';
import { describeProgress, parsePlatform, unpackImage, type UnpackOptions } from '@ct/oci/unpack';
import { reportError } from '../../engine/image-output.js';

/** `ct image unpack`. */
export default class ImageUnpack extends Command {
  static override description = 'unpack an OCI image (layout, oci-archive or docker save archive) into a runtime bundle';

  static override examples = [
    '<%= config.bin %> image unpack ./busybox:latest ./bundle',
    '<%= config.bin %> image unpack --image ./image.oci.tar@sha256:0123… ./bundle --json',
  ];

  static override args = {
    image: Args.string({ description: 'PATH[:TAG|@DIGEST] of the image (or use --image)', required: false }),
    bundle: Args.string({ description: 'the bundle directory to make (absent or empty)', required: false }),
  };

  static override flags = {
    image: Flags.string({ description: 'PATH[:TAG|@DIGEST] of the image' }),
    platform: Flags.string({ description: 'platform to pick from an index, os/arch[/variant] (default: this host\'s)' }),
    'max-uncompressed-bytes': Flags.integer({ description: 'refuse a layer whose uncompressed size is larger', min: 1 }),
    json: Flags.boolean({ description: 'print the result as JSON on stdout' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ImageUnpack);
    const positional = [args.image, args.bundle].filter((a): a is string => a !== undefined);
    const ref = flags.image ?? positional.shift();
    const bundle = positional.shift();
    if (ref === undefined || bundle === undefined || positional.length > 0) {
      this.error('image unpack: give the image (PATH[:TAG|@DIGEST] or --image) and the BUNDLE directory', { exit: 2 });
    }
    const platform = flags.platform === undefined ? undefined : parsePlatform(flags.platform);
    if (flags.platform !== undefined && platform === undefined) this.error(`image unpack: --platform ${flags.platform}: not os/arch[/variant]`, { exit: 2 });
    const tty = process.stderr.isTTY === true;
    const options: UnpackOptions = {
      ...(platform !== undefined ? { platform } : {}),
      ...(flags['max-uncompressed-bytes'] !== undefined ? { maxUncompressedBytes: flags['max-uncompressed-bytes'] } : {}),
      ...(tty ? { onProgress: (e) => { const line = describeProgress(e); if (line !== undefined) process.stderr.write(`\r\x1b[K${line}`); } } : {}),
    };
    try {
      const result = await unpackImage(ref, bundle, options);
      if (tty) process.stderr.write('\r\x1b[K');
      if (flags.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else for (const w of result.warnings) process.stderr.write(`warning: ${w.path}: ${w.message}\n`);
    } catch (err) {
      if (tty) process.stderr.write('\r\x1b[K');
      reportError(err, flags.json);
    }
  }
}
