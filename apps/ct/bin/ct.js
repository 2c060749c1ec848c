#!/usr/bin/env node
// The `ct` binary. The verbs engines call are recognised here before @oclif/core is imported (see
// shared/DESIGN.md, "Engine path speed"); everything else goes to oclif.
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
