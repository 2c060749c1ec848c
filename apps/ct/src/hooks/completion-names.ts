/**
 * oclif's `postrun` hook: after the autocomplete plugin has (re)written its bash function (`ct autocomplete`,
 * `ct autocomplete -r`, and the plugin's refresh after `plugins install`), append ct's completion of container, image,
 * volume and runc container names to it (engine/completion-names.ts). The plugin itself completes commands and flags
 * only; zsh and PowerShell keep the plugin's completion as it is.
 */
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Hook } from '@oclif/core';
import type { CompletableCommand } from '../engine/completion-names.js';

const hook: Hook.Postrun = async function ({ Command, config }) {
  if (Command.id !== 'autocomplete' && Command.id !== 'autocomplete:create') return;
  const file = join(config.cacheDir, 'autocomplete', 'functions', 'bash', `${config.bin}.bash`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return; // the plugin wrote nothing (it failed and said so)
  }
  const { MARKER, namesCompletionScript } = await import('../engine/completion-names.js');
  if (text.includes(MARKER)) return;
  const commands: CompletableCommand[] = config.commands.map((c) => ({
    id: c.id,
    aliases: c.aliases,
    valueFlags: Object.values(c.flags).filter((f) => f.type === 'option')
      .flatMap((f) => [`--${f.name}`, ...(f.char !== undefined ? [`-${f.char}`] : [])]),
  }));
  await appendFile(file, namesCompletionScript(commands, config.bin));
};

export default hook;
