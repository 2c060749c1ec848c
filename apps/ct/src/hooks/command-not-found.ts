/**
 * oclif's `command_not_found` hook: an unknown command is named as the user typed it (`ct image frob`, not
 * oclif's `image:frob`), with the help to look in (its topic's, else ct's); engine/oclif-main.ts prints it in ct's
 * error style.
 */
import type { Hook } from '@oclif/core';

const hook: Hook.CommandNotFound = async function ({ id }) {
  const typed = id.split(':').join(' ');
  const topic = id.includes(':') ? id.split(':')[0]! : '';
  // the help to see: the topic's when the first word is one (`ct image frob`), else ct's
  const help = topic !== '' && this.config.findTopic(topic) !== undefined ? topic : '';
  throw Object.assign(new Error(`unknown command "${typed}"`), { unknownCommand: help, oclif: { exit: 2 } });
};

export default hook;
