import { appendFileSync, existsSync, readFileSync } from 'node:fs';

/**
 * The files already in S3 when they are kept locally (deleteAfterUpload false): one path a line,
 * appended after each upload, read at start, so a restart never sends a kept file again. With
 * deleteAfterUpload (the default) the file's removal is the record and no journal is written.
 */
export class UploadJournal {
  private readonly done = new Set<string>();

  constructor(private readonly path: string) {
    if (!existsSync(path)) return;
    for (const line of readFileSync(path, 'utf8').split('\n')) if (line !== '') this.done.add(line);
  }

  has(file: string): boolean {
    return this.done.has(file);
  }

  add(file: string): void {
    appendFileSync(this.path, `${file}\n`, { mode: 0o600 });
    this.done.add(file);
  }
}
