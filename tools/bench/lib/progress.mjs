// Progress on stderr while a benchmark runs: one rewritten line on a terminal, nothing when stderr is not a tty
// (a script reading --json output gets only the JSON on stdout).

/** A progress line for long work. */
export class Progress {
  /** @param {boolean} [enabled] default: stderr is a terminal */
  constructor(enabled = process.stderr.isTTY === true) {
    this.enabled = enabled;
    this.shown = false;
  }

  /** @param {string} text */
  update(text) {
    if (!this.enabled) return;
    const width = process.stderr.columns ?? 100;
    process.stderr.write(`\r\x1b[K${text.slice(0, width - 1)}`);
    this.shown = true;
  }

  /** A line that stays (a section starts, a peer is skipped); printed on a terminal only. @param {string} text */
  note(text) {
    if (!this.enabled) return;
    this.clear();
    process.stderr.write(`${text}\n`);
  }

  clear() {
    if (this.shown) process.stderr.write('\r\x1b[K');
    this.shown = false;
  }
}
