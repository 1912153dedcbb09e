#!/usr/bin/env node
// Runs the TypeScript command line through tsx's loaders: the suite ships as source. Both
// loaders, so that a backend module written as CommonJS or ESM, TypeScript or JavaScript, in
// any package or none, loads as it would in its own project.
import { register as registerCjs } from 'tsx/cjs/api';
import { register } from 'tsx/esm/api';

registerCjs();
register();
await import('../harness/cli/main.ts');
