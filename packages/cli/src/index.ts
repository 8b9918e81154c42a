export {
  CLI_ERROR_CODES,
  CliError,
  type CliErrorCode,
  CliRuntimeError,
  isCliError,
  UsageError,
} from './errors.js';
export { createProgram, runCli } from './program.js';
