#!/usr/bin/env node
// The `custodia` operator command. Runs the TypeScript sources through tsx,
// so `npx custodia …` works right after `npm install`, without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
