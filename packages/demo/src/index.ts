export type { TaskLogEntry } from './apps/task-fleet.js';
export type { RefusedSource } from './control/controller-runner.js';
export { DEMO_ERROR_CODES, DemoError, type DemoErrorCode, isDemoError } from './errors.js';
export {
  DEFAULT_DEMO_MODE,
  DEMO_MODES,
  type DemoMode,
  type DemoOptions,
  resolveDemoOptions,
} from './options.js';
export { type DemoResult, runDemo } from './run-demo.js';
