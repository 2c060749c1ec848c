/**
 * `ct image unpack [--image] PATH[:TAG|@DIGEST] BUNDLE`: unpack an OCI image layout, oci-archive or docker save
 * archive into a runtime bundle (rootfs/ + config.json), as `umoci unpack` does. Calls @ct/oci's unpackImage, which
 * chooses root or the unprivileged user-namespace path by itself (engine/image-unpack.ts, which the lean entry runs
 * too: this class serves `--help` and command lines the lean parser leaves to oclif).
 */
import { Command } from '@oclif/core';
import { verbs } from '../../flags/definitions.js';
import { oclifArgs, oclifFlags } from '../../flags/to-oclif.js';
import { imageUnpack, type UnpackFlags } from '../../engine/image-unpack.js';

/** `ct image unpack`. */
export default class ImageUnpack extends Command {
  static override description = verbs['image unpack'].description;

  static override examples = [
    '<%= config.bin %> image unpack ./busybox:latest ./bundle',
    '<%= config.bin %> image unpack --image ./image.oci.tar@sha256:0123… ./bundle --json',
  ];

  static override args = oclifArgs('image unpack');

  // the shared definitions (flags/definitions.ts), which the lean entry parses too
  static override flags = oclifFlags('image unpack');

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ImageUnpack);
    process.exitCode = await imageUnpack([args['image'], args['bundle']].filter((a): a is string => a !== undefined), flags as UnpackFlags);
  }
}
