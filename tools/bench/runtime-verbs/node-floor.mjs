#!/usr/bin/env node
// The floor of any Node CLI in front of a runtime: start Node, load one ES module, exec runc with the same
// arguments and wait for it. ct's runtime verbs are compared with this (issue 8: within 1.3x).
import { spawnSync } from 'node:child_process';

const r = spawnSync('runc', process.argv.slice(2), { stdio: 'inherit' });
process.exitCode = r.status ?? 128 + 9;
