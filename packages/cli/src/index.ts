export { UsageError } from './errors.js';
export { createProgram, runCli } from './program.js';
