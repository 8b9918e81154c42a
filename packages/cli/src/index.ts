export { createProgram, runCli } from './program.js';
export { UsageError } from './errors.js';
