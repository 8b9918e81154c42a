// The built CLI with its stdout as raw bytes (testkit's runCli decodes it as UTF-8, which a pcap on
// stdout would not survive).
import { spawn } from 'node:child_process';
import { CLI_BIN } from '@fargate-mirror/testkit/cli';

export interface BinaryResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs the CLI to its end; with `takeBytes`, closes its stdout after that many bytes (like `| head -c`). */
export function runCliBinary(args: readonly string[], takeBytes?: number): Promise<BinaryResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let taken = 0;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      if (takeBytes === undefined) {
        out.push(chunk);
        return;
      }
      if (taken >= takeBytes) return;
      out.push(chunk);
      taken += chunk.length;
      // The reader has what it wanted and goes away, as head does.
      if (taken >= takeBytes) child.stdout.destroy();
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
  });
}
