/**
 * `ct pull REF`: pull an image from a registry into the image store (@ct/oci pullImage: the distribution API,
 * bearer or basic auth from the usual auth files and their credential helpers (`--authfile` as podman spells it),
 * every blob verified while it streams, resumable; layers the store holds are not downloaded). A progress bar
 * on stderr when it is a terminal, nothing in pipes; prints the image's name and digest, or the record with --json.
 */
import { Args, Command, Flags } from '@oclif/core';
import { PullProgressLine, parsePlatform, pullImage } from '@ct/oci';
import { reportError, reportImported, storeFlags, storeOptions } from '../engine/image-output.js';

/** `ct pull`. */
export default class Pull extends Command {
  static override description = 'pull an image from a registry into the image store';

  static override examples = [
    '<%= config.bin %> pull busybox',
    '<%= config.bin %> pull localhost:5000/app:v1 --platform linux/arm64',
    '<%= config.bin %> pull registry.example/app@sha256:… --ca-file ./ca.pem --json',
  ];

  static override args = {
    image: Args.string({ description: 'the reference: [HOST[:PORT]/]NAME[:TAG][@DIGEST] (busybox is docker.io/library/busybox:latest)', required: true }),
  };

  static override flags = {
    name: Flags.string({ description: 'name in the store (default: the full reference)' }),
    platform: Flags.string({ description: 'os/arch[/variant] to pick from a multi-arch index (default: this host)' }),
    'ca-file': Flags.string({ description: 'PEM file of CA certificates trusted besides the system ones' }),
    'insecure-http': Flags.boolean({ description: 'allow plain HTTP to a non-loopback registry' }),
    'auth-file': Flags.string({
      aliases: ['authfile'],
      description: 'auth file used instead of $REGISTRY_AUTH_FILE, or else $XDG_RUNTIME_DIR/containers/auth.json, ~/.config/containers/auth.json and ~/.docker/config.json (credHelpers, credsStore and auths are read, as podman and docker do)',
    }),
    parallel: Flags.integer({ description: 'parallel blob downloads', default: 3, min: 1, max: 16 }),
    ...storeFlags,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Pull);
    const tty = process.stderr.isTTY === true;
    const platform = flags.platform !== undefined ? parsePlatform(flags.platform) : undefined;
    if (flags.platform !== undefined && platform === undefined) this.error(`pull: --platform ${flags.platform}: expected os/arch[/variant]`, { exit: 2 });
    const bar = new PullProgressLine();
    try {
      const result = await pullImage(args.image, {
        ...storeOptions(flags),
        name: flags.name, platform, caFile: flags['ca-file'], insecureHttp: flags['insecure-http'], authFile: flags['auth-file'],
        parallel: flags.parallel,
        ...(tty ? { onProgress: (p) => process.stderr.write(`\r\x1b[K${bar.update(p)}`) } : {}),
      });
      await reportImported(this.config, result, args.image, flags, tty);
    } catch (err) {
      if (tty) process.stderr.write('\r\x1b[K');
      reportError(err, flags.json);
    }
  }
}
