/**
 * Import a package from the host CLI (ct), not from the plugin's own node_modules. @ct/* are not on the npm
 * registry: a plugin declares them as peerDependencies and uses the copies ct itself runs with. oclif gives every
 * command and hook `config.root`, ct's package directory; resolving from there finds ct's dependencies whether
 * the plugin is linked (`ct plugins link DIR`) or installed (`ct plugins install`, under ct's data dir).
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Import `specifier` (e.g. '@ct/oci') as resolved from the host CLI's root.
 * @param {{root: string}} config oclif's Config (`this.config` in a command, `options.config` in a hook)
 * @param {string} specifier a package name or subpath export
 * @returns {Promise<any>} the module
 */
export async function hostImport(config, specifier) {
  const path = createRequire(join(config.root, 'package.json')).resolve(specifier);
  return import(pathToFileURL(path).href);
}
