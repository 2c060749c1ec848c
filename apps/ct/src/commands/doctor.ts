/**
 * `ct doctor [--json] [--user NAME]`: check that this user can run rootless containers (user namespaces,
 * /etc/subuid ranges, newuidmap, cgroup delegation, the state dir, overlayfs, pasta/slirp4netns) and the kernel
 * features ct uses, then which `--network` modes work for the caller (and the default one); one line per check with what it affects and the command that fixes it. Exit status 0 when
 * rootless containers can run (warnings allowed), 1 otherwise. The checks are @ct/namespaces' runDoctor.
 * As root, `--user NAME` runs `ct doctor` again as that user through runuser(1), with the environment a login
 * would give it (HOME, USER, no TMPDIR, XDG_RUNTIME_DIR=/run/user/UID when that dir is the user's), so the trial
 * clones run with that user's credentials.
 */
import { spawnSync } from 'node:child_process';
import { Command, Flags } from '@oclif/core';
import { formatDoctorReport, loginEnvironment, runDoctor, type LoginEnvironment } from '@ct/namespaces';

/** `ct doctor`. */
export default class Doctor extends Command {
  static override description = 'check the rootless set-up and the kernel features ct uses, and say how to fix what is missing';

  static override examples = [
    '<%= config.bin %> doctor',
    '<%= config.bin %> doctor --json',
    'sudo <%= config.bin %> doctor --user alice',
  ];

  static override flags = {
    json: Flags.boolean({ description: 'print the report as JSON on stdout' }),
    user: Flags.string({ description: 'as root: run the checks as this user (through runuser)' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Doctor);
    if (flags.user !== undefined) {
      if (process.geteuid?.() !== 0) this.error('doctor: --user: only root can run the checks as another user', { exit: 2 });
      let login: LoginEnvironment;
      try {
        login = loginEnvironment(flags.user, { base: process.env });
      } catch (err) {
        this.error((err as Error).message, { exit: 2 });
      }
      const argv = [process.execPath, process.argv[1] ?? 'ct', 'doctor', ...(flags.json ? ['--json'] : [])];
      const r = spawnSync('runuser', ['-u', login.name, '--', ...argv], { stdio: 'inherit', env: login.env });
      if (r.error !== undefined) this.error(`doctor: runuser: ${r.error.message}`, { exit: 1 });
      process.exitCode = r.status ?? 1;
      return;
    }
    const report = await runDoctor();
    // which --network modes work for this caller (@ct/runtime's network checks; informational: no effect on the status)
    const { formatNetworkReport, networkReport } = await import('@ct/runtime');
    const network = networkReport(process.geteuid?.() !== 0);
    process.stdout.write(flags.json ? `${JSON.stringify({ ...report, network }, null, 2)}\n` : formatDoctorReport(report) + formatNetworkReport(network));
    process.exitCode = report.canRunContainers ? 0 : 1;
  }
}
