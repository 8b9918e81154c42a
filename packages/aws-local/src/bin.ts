#!/usr/bin/env node
import { createAwsLocalCommand } from './command.js';
import { AwsLocalError } from './errors.js';

createAwsLocalCommand()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    const code = error instanceof AwsLocalError ? error.code : 'AWS_LOCAL_FAILED';
    process.stderr.write(`aws-local: ${code}: ${(error as Error).message}\n`);
    process.exitCode = 1;
  });
