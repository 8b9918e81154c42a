#!/usr/bin/env node
import { createAwsLocalCommand } from './command.js';
import { type AwsLocalErrorCode, isAwsLocalError } from './errors.js';

createAwsLocalCommand()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    const code: AwsLocalErrorCode = isAwsLocalError(error) ? error.code : 'AWS_LOCAL_FAILED';
    process.stderr.write(`aws-local: ${code}: ${(error as Error).message}\n`);
    process.exitCode = 1;
  });
