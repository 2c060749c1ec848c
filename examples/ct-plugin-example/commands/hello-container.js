/**
 * `ct hello-container IMAGE`: open an image (OCI layout, oci-archive or docker-archive, with :TAG or @DIGEST)
 * with the host's @ct/oci and print its manifest digest, layer count and command. Written without a base class
 * so the plugin needs no @oclif/core of its own: oclif runs a command class through its static `run(argv, config)`.
 */
import { hostImport } from '../lib/host.js';

export default class HelloContainer {
  static summary = 'Describe an image with the host\'s @ct/oci (example plugin)';
  static description = 'Prints the manifest digest, the layer count and the command of IMAGE.';
  static examples = ['<%= config.bin %> hello-container ./busybox-layout:latest'];
  static args = { image: { name: 'image', description: 'image path (layout or archive, with :TAG or @DIGEST)', required: true } };
  static flags = {};

  /**
   * @param {string[]} argv the arguments after the command name
   * @param {{root: string}} config oclif's Config
   * @returns {Promise<void>}
   */
  static async run(argv, config) {
    if (argv.length !== 1) {
      process.stderr.write('hello-container: expected one argument, IMAGE\n');
      process.exitCode = 2;
      return;
    }
    const oci = await hostImport(config, '@ct/oci');
    const ref = oci.parseImageRef(argv[0]);
    const source = await oci.openImage(ref.path);
    try {
      const image = oci.resolveImage(source, ref);
      const cmd = [...(image.config.config?.Entrypoint ?? []), ...(image.config.config?.Cmd ?? [])];
      process.stdout.write(`hello from a ct plugin: ${argv[0]}: manifest ${image.manifestDescriptor.digest}, ` +
        `${image.layers.length} layer(s), command ${JSON.stringify(cmd)}\n`);
    } finally {
      await source.close();
    }
  }
}
