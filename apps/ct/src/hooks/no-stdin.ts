/**
 * oclif's `prerun` hook: no command reads stdin unless it is given `-` (the brief's rule). @oclif/core's parser
 * reads a missing positional argument from stdin whenever stdin is not a terminal (parse.js tryStdin, a 10 ms
 * window), so `ct image unpack --image X B` inside a `while read` loop ate the loop's input, and
 * `echo x | ct image import` imported "x". This marks every argument of the command about to run `ignoreStdin`,
 * ct's own commands and those of plugins alike (flags read stdin only with `allowStdin` and the value `-`).
 */
import type { Hook } from '@oclif/core';

const hook: Hook.Prerun = async function ({ Command }) {
  for (const arg of Object.values(Command.args ?? {})) (arg as { ignoreStdin?: boolean }).ignoreStdin = true;
};

export default hook;
