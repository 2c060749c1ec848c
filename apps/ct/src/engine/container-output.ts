/**
 * The `ct container ps` table: ID, IMAGE (the name it was run from, else 12 digits of its digest), COMMAND, STATUS
 * (with the exit status), CREATED; and the fields its --format templates see (podman's names).
 */
import type { ImageContainer } from '@ct/runtime';

/** The image column: the name `container run` was given, else the digest's first 12 digits. */
function imageColumn(c: ImageContainer): string {
  return c.imageName ?? c.image.slice(7, 19);
}

/** The fields of `container ps --format` templates, as podman's names them. */
export function psFields(c: ImageContainer): Record<string, unknown> {
  return {
    ID: c.id, Names: c.id, Image: imageColumn(c), ImageID: c.image, Command: c.command.join(' '),
    State: c.exitStatus !== undefined ? 'exited' : c.status, Status: statusColumn(c), ExitCode: c.exitStatus ?? 0,
    CreatedAt: c.created, Pid: c.pid,
  };
}

function statusColumn(c: ImageContainer): string {
  return c.exitStatus !== undefined ? `exited (${c.exitStatus})` : c.status;
}

/** Render `list` as `container ps` prints it. */
export function containerTable(list: readonly ImageContainer[]): string {
  const rows = [['ID', 'IMAGE', 'COMMAND', 'STATUS', 'CREATED']];
  for (const c of list) {
    const command = c.command.join(' ');
    rows.push([c.id, imageColumn(c), command.length > 30 ? `${command.slice(0, 29)}…` : command, statusColumn(c), c.created]);
  }
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  return rows.map((r) => r.map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col]! + 3))).join('')).join('\n') + '\n';
}
