/**
 * Progress for long runs on stderr: a redrawn bar on a terminal, a line every 10% otherwise.
 * Short runs (under `minTotal` items) print nothing.
 */
export class Progress {
  readonly #out: NodeJS.WritableStream & { isTTY?: boolean };
  readonly #minTotal: number;
  #lastDecile = -1;
  #drawn = false;

  constructor(out: NodeJS.WritableStream & { isTTY?: boolean }, minTotal = 20) {
    this.#out = out;
    this.#minTotal = minTotal;
  }

  update(phase: string, done: number, total: number): void {
    if (total < this.#minTotal) return;
    if (this.#out.isTTY) {
      const width = 30;
      const filled = Math.round((width * done) / total);
      this.#out.write(
        `\r${phase.padEnd(14)} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total}`,
      );
      this.#drawn = true;
      if (done === total) this.end();
      return;
    }
    const decile = Math.floor((10 * done) / total);
    if (decile !== this.#lastDecile) {
      this.#lastDecile = decile;
      this.#out.write(`${phase}: ${done}/${total}\n`);
    }
  }

  end(): void {
    if (this.#drawn) this.#out.write('\n');
    this.#drawn = false;
    this.#lastDecile = -1;
  }
}
