import { accessSync, constants, statSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';

/**
 * An input file named on the command line, checked before any work starts so that a typo is a
 * one-line input error naming the file (exit 2), not Node's ENOENT from deep inside a package.
 * `-` (standard input) passes where `stdin` allows it.
 */
export function inputFile(options: { stdin?: boolean } = {}): (value: string) => string {
  return (value) => {
    if (value === '-' && options.stdin) return value;
    let isFile: boolean;
    try {
      isFile = !statSync(value).isDirectory();
    } catch {
      throw new InvalidArgumentError(`no such file: ${value}`);
    }
    if (!isFile) throw new InvalidArgumentError(`${value} is a directory, not a file`);
    try {
      accessSync(value, constants.R_OK);
    } catch {
      throw new InvalidArgumentError(`cannot read ${value} (permission denied)`);
    }
    return value;
  };
}
