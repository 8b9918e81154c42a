export {
  createStderrLogger,
  defaultLogFormat,
  LOG_FORMATS,
  type LogFormat,
  type PrettyFactory,
  type StderrLoggerOptions,
} from './stderr-logger.js';
