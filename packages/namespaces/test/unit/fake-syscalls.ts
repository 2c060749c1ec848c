/**
 * A fake `Syscalls` for unit tests: records every plan, pauses at each `wait` step (in plan order), then reports
 * `exec`; can fail at a given step with a SyscallError the way @ct/syscalls reports a child failure.
 */
import { SyscallError } from '@ct/syscalls';
import type { ChildEvent, ChildHandle, ExitStatus, SpawnPlan, Syscalls } from '../../src/internal/syscalls-port.js';

export interface FakeCall {
  readonly kind: 'spawn' | 'enter';
  readonly plan: SpawnPlan;
  readonly target?: number;
  readonly namespaces?: number;
  readonly log: string[];
}

export class FakeSyscalls implements Syscalls {
  readonly calls: FakeCall[] = [];
  /** Global event log across children: 'pid:paused:label', 'pid:release', 'pid:kill:SIG', 'pid:exec'. */
  readonly log: string[] = [];
  private nextPid = 1000;
  private readonly exits = new Map<number, (s: ExitStatus) => void>();
  /** `failAt`: make the `nth` step `op` of a spawned (or, with kind 'enter', entered) child fail with `errno`. */
  constructor(private readonly failAt?: { readonly op: string; readonly errno: number; readonly nth?: number; readonly kind?: 'spawn' | 'enter' }) {}

  spawn(plan: SpawnPlan): ChildHandle {
    return this.child('spawn', plan);
  }

  enter(target: number, namespaces: number, plan: Omit<SpawnPlan, 'namespaces'>): ChildHandle {
    return this.child('enter', { ...plan, namespaces: 0 }, target, namespaces);
  }

  private child(kind: 'spawn' | 'enter', plan: SpawnPlan, target?: number, namespaces?: number): ChildHandle {
    const pid = this.nextPid++;
    const call: FakeCall = { kind, plan, log: this.log, ...(target === undefined ? {} : { target, namespaces: namespaces ?? 0 }) };
    this.calls.push(call);
    const log = this.log;
    let index = 0;
    let released = true;
    let resolveExit: (s: ExitStatus) => void = () => undefined;
    const exited = new Promise<ExitStatus>((r) => { resolveExit = r; });
    this.exits.set(pid, (st) => resolveExit(st));
    const failAt = (this.failAt?.kind ?? 'spawn') === kind ? this.failAt : undefined;
    let failCount = 0;
    return {
      pid,
      pidfd: 100 + pid,
      async nextEvent(): Promise<ChildEvent> {
        if (!released) throw new Error('fake: nextEvent before release');
        for (; index < plan.steps.length; index++) {
          const step = plan.steps[index]!;
          if (failAt !== undefined && step.op === failAt.op && failCount++ === (failAt.nth ?? 0)) {
            resolveExit({ code: 1, signal: null, status: 1 });
            const path = 'target' in step ? step.target : 'path' in step ? String(step.path) : undefined;
            throw new SyscallError(step.op, failAt.errno, { step: index, stepOp: step.op, ...(path === undefined ? {} : { path }) });
          }
          if (step.op === 'wait') {
            index++;
            released = false;
            log.push(`${pid}:paused:${step.label}`);
            return { kind: 'paused', label: step.label, step: index - 1 };
          }
        }
        log.push(`${pid}:exec`);
        if (kind === 'enter') resolveExit({ code: 0, signal: null, status: 0 });
        return { kind: 'exec' };
      },
      release() {
        released = true;
        log.push(`${pid}:release`);
      },
      wait() {
        return exited;
      },
      kill(signal) {
        log.push(`${pid}:kill:${String(signal)}`);
        if (signal === 'SIGKILL' || signal === 9) resolveExit({ code: null, signal: 9, status: 137 });
      },
    };
  }

  /** Make child `pid` exit with `code`. */
  exit(pid: number, code: number): void {
    this.exits.get(pid)?.({ code, signal: null, status: code });
  }
}
