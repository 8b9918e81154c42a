import { chmod, readFile, rename, writeFile } from 'node:fs/promises';
import { AwsLocalStateError } from '../errors.js';
import type { AccountState } from './types.js';

/** Reads a `--state` file; undefined when it does not exist yet. */
export async function loadState(file: string): Promise<AccountState | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AwsLocalStateError(`cannot read state file ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new AwsLocalStateError(`state file ${file} is not JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const state = parsed as Partial<AccountState>;
  if (state.formatVersion !== 1 || typeof state.regions !== 'object' || typeof state.nextSeq !== 'number') {
    throw new AwsLocalStateError(`state file ${file} is not an aws-local state (formatVersion 1 expected)`);
  }
  return state as AccountState;
}

/**
 * Writes the state after changes settle (debounced), owner-only (0600) because tags and
 * descriptions may name real infrastructure. Writes go to a temporary file then rename, so a
 * crash never leaves half a file.
 */
export class StateWriter {
  readonly #file: string;
  readonly #snapshot: () => AccountState;
  readonly #debounceMs: number;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();
  #errors = 0;

  constructor(file: string, snapshot: () => AccountState, debounceMs = 100) {
    this.#file = file;
    this.#snapshot = snapshot;
    this.#debounceMs = debounceMs;
  }

  get writeErrors(): number {
    return this.#errors;
  }

  schedule(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, this.#debounceMs);
  }

  async flush(): Promise<void> {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const text = `${JSON.stringify(this.#snapshot())}\n`;
    this.#writing = this.#writing.then(async () => {
      const temporary = `${this.#file}.${process.pid}.tmp`;
      try {
        await writeFile(temporary, text, { mode: 0o600 });
        await chmod(temporary, 0o600);
        await rename(temporary, this.#file);
      } catch (error) {
        this.#errors++;
        process.emitWarning(`aws-local: cannot write state file ${this.#file}: ${(error as Error).message}`);
      }
    });
    await this.#writing;
  }
}
