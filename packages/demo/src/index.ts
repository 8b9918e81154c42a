export type { TaskLogEntry } from './apps/task-fleet.js';
export type { RefusedSource } from './control/controller-runner.js';
export { DemoError, type DemoErrorCode } from './errors.js';
export { DEMO_MODES, type DemoMode, type DemoOptions, resolveDemoOptions } from './options.js';
export { type DemoResult, runDemo } from './run-demo.js';
