/**
 * `container run --userns MODE` before the container is made: the mode's plan from the default maps the image's
 * layers were unpacked for (the store's runtime config template), the layers re-owned for it (userns-shift.ts),
 * and, once config.json is written, the container's own dirs and bound files given to the mode's container root.
 * Man pages: user_namespaces(7).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerRoot } from '@ct/oci/store';
import { RuntimeError } from './errors.js';
import { planUserns, type IdMapping, type UsernsMode, type UsernsPlan } from './userns-mode.js';
import { chownToContainerRoot, shiftImageLayers } from './userns-shift.js';

/** A mode's plan and the container's re-owned layers. */
export interface UsernsSetup {
  readonly plan: UsernsPlan;
  /** The re-owned layer dirs, top first. */
  readonly lowerDirs: readonly string[];
  /** Give the container's upper, work and merged dirs and the bundle's passwd and group files to container root. */
  giveToContainerRoot(): Promise<void>;
}

/** The default maps of the image's runtime config template (rootless: the maps its layers were unpacked for). */
function templateMaps(template: string, mode: UsernsMode): { uidMappings: IdMapping[]; gidMappings: IdMapping[] } {
  const linux = (JSON.parse(template) as { linux?: { uidMappings?: IdMapping[]; gidMappings?: IdMapping[] } }).linux;
  const uidMappings = linux?.uidMappings ?? [];
  const gidMappings = linux?.gidMappings ?? [];
  if (uidMappings.length === 0 || gidMappings.length === 0) {
    throw new RuntimeError('ESETUP', `container run: --userns ${mode}: the image's runtime config has no id maps (imported by root?): import it again as this user`);
  }
  return { uidMappings, gidMappings };
}

/**
 * The setup of `mode` for the container root `root` (undefined for `host`): layers re-owned now, where missing.
 * @throws RuntimeError ESETUP, EUSAGE (no subordinate ids); NamespaceSetupError.
 */
export async function prepareUserns(mode: UsernsMode, root: ContainerRoot, bundle: string): Promise<UsernsSetup | undefined> {
  if (mode === 'host') return undefined;
  const plan = planUserns(mode, process.geteuid?.() ?? 0, process.getegid?.() ?? 0, templateMaps(root.runtimeConfig, mode));
  const lowerDirs = await shiftImageLayers(plan, root.lowerDirs);
  return {
    plan, lowerDirs,
    giveToContainerRoot: () => chownToContainerRoot(plan, [root.upper, root.work, root.merged, join(bundle, 'passwd'), join(bundle, 'group')].filter((p) => existsSync(p))),
  };
}
