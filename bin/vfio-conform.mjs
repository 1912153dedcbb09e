#!/usr/bin/env node
// Runs the TypeScript command line through tsx's loader: the suite ships as source.
import { register } from 'tsx/esm/api';

register();
await import('../harness/cli/main.ts');
