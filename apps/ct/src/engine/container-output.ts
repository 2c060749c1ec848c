/** The `ct container ps` table: ID, IMAGE (12 digits of its digest), COMMAND, STATUS (with the exit status), CREATED. */
import type { ImageContainer } from '@ct/runtime';

/** Render `list` as `container ps` prints it. */
export function containerTable(list: readonly ImageContainer[]): string {
  const rows = [['ID', 'IMAGE', 'COMMAND', 'STATUS', 'CREATED']];
  for (const c of list) {
    const status = c.exitStatus !== undefined ? `exited (${c.exitStatus})` : c.status;
    const command = c.command.join(' ');
    rows.push([c.id, c.image.slice(7, 19), command.length > 30 ? `${command.slice(0, 29)}…` : command, status, c.created]);
  }
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  return rows.map((r) => r.map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col]! + 3))).join('')).join('\n') + '\n';
}
