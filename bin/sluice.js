#!/usr/bin/env node
// The `sluice` command: runs cli/main.ts through tsx's ESM loader (no build step).
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
