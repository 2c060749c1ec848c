/**
 * Cases for `hooks`: each kind records what it got (the state on stdin, argv, env, cwd) with
 * `ct-probe hook-record`; the host kinds into the bundle, startContainer (which runs in the container) into a
 * tmpfs the probe then reads. Failing hooks: create-time ones stop the container, poststart and poststop are
 * warnings.
 */
import type { Config, ConformanceCase, HookKind } from '../case-types.js';

/** The kinds whose path resolves on the host (createContainer: resolved on the host, run in the container). */
const HOST_KINDS = ['prestart', 'createRuntime', 'createContainer', 'poststart', 'poststop'] as const;

/**
 * runc 1.1.5 runs poststart hooks during `create` (fixed in runc 1.2), so their state says `created` and a
 * failing one fails create; the runtime-spec runs them after the user process started, failures are warnings.
 */
const POSTSTART_SPEC = { because: 'runtime.md: poststart runs after start (status running) and its failure is a warning; runc 1.1.5 runs it at create' };

/**
 * The runtime-spec names no status for prestart (a deprecated kind run at the createRuntime point); runtime-tools'
 * hooks_stdin validation asks `created`, which crun gives; runc 1.1.5 gives `creating` (packages/runtime/src/hook-state.ts).
 */
const PRESTART_SPEC = { because: 'runtime-tools\' hooks_stdin validation asks created for prestart (crun gives it); runc 1.1.5 gives creating' };

function hostHookCase(kind: (typeof HOST_KINDS)[number]): ConformanceCase {
  return {
    field: `hooks.${kind}`, variant: 'records its state, argv, env and cwd',
    ...(kind === 'poststart' ? { spec: { ...POSTSTART_SPEC, values: { 'hooks.poststart.stdin.status': 'running' } } } : {}),
    ...(kind === 'prestart' ? { spec: { ...PRESTART_SPEC, values: { 'hooks.prestart.stdin.status': 'created' } } } : {}),
    edit: (c, ctx) => {
      c.hooks = { [kind]: [{ path: ctx.hostProbe, args: ['ct-probe', 'hook-record', ctx.hookFile(kind), 'an arg'], env: ['HOOK_ENV=set', 'PATH=/bin'] }] };
    },
  };
}

const tmpfsAtTmp = (c: Config): void => { c.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] }); };

export const HOOK_CASES: readonly ConformanceCase[] = [
  ...HOST_KINDS.map(hostHookCase),
  {
    field: 'hooks.startContainer', variant: 'records its state, argv, env and cwd (inside the container)', probe: { files: ['/tmp/startContainer.json'] },
    edit: (c, ctx) => {
      tmpfsAtTmp(c);
      c.hooks = { startContainer: [{ path: ctx.probe, args: ['ct-probe', 'hook-record', '/tmp/startContainer.json'], env: ['HOOK_ENV=set'] }] };
    },
  },
  {
    field: 'hooks', variant: 'all six kinds, two of each, in order', probe: { files: ['/tmp/startContainer-1.json', '/tmp/startContainer-2.json'] },
    spec: {
      because: `${POSTSTART_SPEC.because}; ${PRESTART_SPEC.because}`,
      values: {
        'hooks.poststart-1.stdin.status': 'running', 'hooks.poststart-2.stdin.status': 'running',
        'hooks.prestart-1.stdin.status': 'created', 'hooks.prestart-2.stdin.status': 'created',
      },
    },
    edit: (c, ctx) => {
      tmpfsAtTmp(c);
      const hooks: Partial<Record<HookKind, Record<string, unknown>[]>> = {};
      for (const kind of HOST_KINDS) hooks[kind] = [1, 2].map((n) => ({ path: ctx.hostProbe, args: ['ct-probe', 'hook-record', ctx.hookFile(`${kind}-${n}`)] }));
      hooks.startContainer = [1, 2].map((n) => ({ path: ctx.probe, args: ['ct-probe', 'hook-record', `/tmp/startContainer-${n}.json`] }));
      c.hooks = hooks;
    },
  },
  ...(['prestart', 'createRuntime', 'createContainer'] as const).map((kind): ConformanceCase => ({
    field: `hooks.${kind}`, variant: 'fails (create fails, nothing is left)', refusal: new RegExp(`${kind}|hook`, 'i'),
    edit: (c, ctx) => { c.hooks = { [kind]: [{ path: ctx.hostProbe, args: ['ct-probe', 'exit', '3'] }] }; },
  })),
  {
    field: 'hooks.startContainer', variant: 'fails',
    spec: { because: 'runtime.md: a failing startContainer hook is an error (start fails, the container stops); runc 1.1.5 start exits 0', values: { 'steps.1': 'start:1' } },
    edit: (c, ctx) => { c.hooks = { startContainer: [{ path: ctx.probe, args: ['ct-probe', 'exit', '3'] }] }; },
  },
  ...(['poststart', 'poststop'] as const).map((kind): ConformanceCase => ({
    field: `hooks.${kind}`, variant: 'the first fails, the second still runs',
    spec: kind === 'poststart'
      ? { ...POSTSTART_SPEC, accept: true as const, values: { 'hooks.poststart.stdin.status': 'running' } }
      : { because: 'runtime.md: a failing poststop hook is a warning and the remaining hooks still run; runc 1.1.5 stops at the first', values: { 'hooks.poststop': /"status":"stopped"/ } },
    edit: (c, ctx) => { c.hooks = { [kind]: [{ path: ctx.hostProbe, args: ['ct-probe', 'exit', '3'] }, { path: ctx.hostProbe, args: ['ct-probe', 'hook-record', ctx.hookFile(kind)] }] }; },
  })),
  {
    field: 'hooks.prestart', variant: 'timeout 1 s on a hook that sleeps', refusal: /prestart|hook|timeout|timed out/i,
    edit: (c, ctx) => { c.hooks = { prestart: [{ path: ctx.hostProbe, args: ['ct-probe', 'sleep', '30'], timeout: 1 }] }; },
  },
  {
    field: 'hooks.prestart', variant: 'a relative path', refusal: /prestart|hook|path/i,
    edit: (c) => { c.hooks = { prestart: [{ path: 'ct-probe', args: ['ct-probe', 'exit', '0'] }] }; },
  },
];
