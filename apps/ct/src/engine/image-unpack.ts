/**
 * `ct image unpack` once its command line is parsed, for the oclif command (commands/image/unpack.ts) and the
 * lean entry alike, without oclif: the small-image unpack is mostly start-up, and oclif's import alone cost
 * ~200 ms of CPU (issue 21). Calls @ct/oci's unpackImage, which chooses root or the unprivileged path by itself;
 * a progress line on stderr when it is a terminal; `--json` prints the result (or the error) on stdout.
 * Exit statuses: 0, 1 for a failed unpack, 2 for a command-line error (as oclif's).
 */
import type { FlagValue } from '../flags/parse-argv.js';
import { formatError } from './cli-errors.js';
import { printJson, reportError } from './image-errors.js';

/** The command's flags by long name (the shared definitions' `image unpack` flags). */
export type UnpackFlags = Readonly<Record<string, FlagValue | undefined>>;

/** A command-line error: `Error: ` and the hint to the command's help on stderr, as oclif-main.ts prints them. */
function usage(message: string): number {
  process.stderr.write(formatError(message, 'image unpack'));
  return 2;
}

/** Unpack as `ct image unpack` with positional `args` and `flags`; returns the exit status. */
export async function imageUnpack(args: readonly string[], flags: UnpackFlags): Promise<number> {
  const positional = [...args];
  const ref = typeof flags['image'] === 'string' ? flags['image'] : positional.shift();
  const bundle = positional.shift();
  if (ref === undefined || bundle === undefined || positional.length > 0) {
    return usage('image unpack: give the image (PATH[:TAG|@DIGEST] or --image) and the BUNDLE directory');
  }
  const max = flags['max-uncompressed-bytes'];
  if (typeof max === 'number' && max < 1) return usage(`image unpack: --max-uncompressed-bytes ${max}: not a positive number of bytes`);
  const { describeProgress, parsePlatform, unpackImage } = await import('@ct/oci/unpack');
  const platformText = typeof flags['platform'] === 'string' ? flags['platform'] : undefined;
  const platform = platformText === undefined ? undefined : parsePlatform(platformText);
  if (platformText !== undefined && platform === undefined) return usage(`image unpack: --platform ${platformText}: not os/arch[/variant]`);
  const json = flags['json'] === true;
  const tty = process.stderr.isTTY === true;
  const onProgress = (e: Parameters<typeof describeProgress>[0]): void => {
    const line = describeProgress(e);
    if (line !== undefined) process.stderr.write(`\r\x1b[K${line}`);
  };
  try {
    const result = await unpackImage(ref, bundle, {
      ...(platform !== undefined ? { platform } : {}),
      ...(typeof max === 'number' ? { maxUncompressedBytes: max } : {}),
      ...(tty ? { onProgress } : {}),
    });
    if (tty) process.stderr.write('\r\x1b[K');
    if (json) printJson(result);
    else for (const w of result.warnings) process.stderr.write(`warning: ${w.path}: ${w.message}\n`);
    return 0;
  } catch (err) {
    if (tty) process.stderr.write('\r\x1b[K');
    reportError(err, json);
    return 1;
  }
}
