/**
 * `runCtHook(name, payload)`: fire a ct hook for user plugins without paying for @oclif/core when none is installed.
 * The lean entry (bin/ct.js) never imports oclif; this checks the file @oclif/plugin-plugins keeps user and linked
 * plugins in (`<dataDir>/package.json`, `oclif.plugins`; dataDir is `$CT_DATA_DIR`, else `$XDG_DATA_HOME/ct`, else
 * `~/.local/share/ct`, as @oclif/core 4's Config computes it). Only when it lists a plugin does it load
 * @oclif/core's Config and call `config.runHook`. A failing plugin hook is reported on stderr and does not fail ct.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '@oclif/core';
import type { Hooks } from '@oclif/core/interfaces';
import type { CtHookName, CtHookPayloads, CtOclifHooks } from './payloads.js';

/** The app's root (apps/ct): oclif's Config loads from its package.json. */
const appRoot = fileURLToPath(new URL('../..', import.meta.url));

/** oclif's data dir for ct (where `ct plugins` records installed and linked plugins). */
export function pluginDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['CT_DATA_DIR']) return env['CT_DATA_DIR'];
  const base = env['XDG_DATA_HOME'] || join(env['HOME'] || homedir(), '.local', 'share');
  return join(base, 'ct');
}

/** Whether `ct plugins` has a user or linked plugin recorded (one small file read; no oclif import). */
export function userPluginsInstalled(env: NodeJS.ProcessEnv = process.env): boolean {
  let text: string;
  try {
    text = readFileSync(join(pluginDataDir(env), 'package.json'), 'utf8');
  } catch {
    return false; // no plugin ever installed
  }
  try {
    const plugins = (JSON.parse(text) as { oclif?: { plugins?: unknown } }).oclif?.plugins;
    return Array.isArray(plugins) && plugins.length > 0;
  } catch {
    return true; // unreadable: let oclif load it and report the problem
  }
}

let loaded: Promise<Config> | undefined;

/** oclif's Config for ct with its plugins (loaded once per process, on the first hook with a plugin installed). */
async function loadConfig(): Promise<Config> {
  // as bin/ct.js does before oclif loads: plugins ship compiled JavaScript, no ts-node lookup
  const g = globalThis as { oclif?: Record<string, unknown> };
  g.oclif = { ...g.oclif, enableAutoTranspile: false };
  const { Config: OclifConfig } = await import('@oclif/core');
  return OclifConfig.load({ root: appRoot });
}

/**
 * Fire hook `name` with `payload` in every installed plugin that declares it. Resolves once all hooks ran; does
 * nothing (and imports nothing) when no user plugin is installed.
 */
export async function runCtHook<K extends CtHookName>(name: K, payload: CtHookPayloads[K]): Promise<void> {
  if (!userPluginsInstalled()) return;
  await runCtHookIn(await (loaded ??= loadConfig()), name, payload);
}

/**
 * Fire hook `name` through an oclif Config already loaded (an oclif command's `this.config`). A plugin hook that
 * throws is reported on stderr as a warning; the command goes on.
 */
export async function runCtHookIn<K extends CtHookName>(config: Config, name: K, payload: CtHookPayloads[K]): Promise<void> {
  const result = await config.runHook<K, CtOclifHooks & Hooks>(name, payload, undefined, true);
  for (const failure of result.failures) {
    process.stderr.write(`ct: warning: hook ${name}: plugin ${failure.plugin.name}: ${failure.error.message}\n`);
  }
}
