// Starts `fargate-mirror receive` on free ports, waits for it to be ready, stops it with SIGTERM and
// returns what it printed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_BIN } from '@fargate-mirror/testkit/cli';
import { start } from '@fargate-mirror/testkit/proc';
import { EPHEMERAL_RECEIVE } from '@fargate-mirror/testkit/receive';

export async function receiveOnce(
  extra: readonly string[],
): Promise<{ code: number | string; stderr: string }> {
  const out = mkdtempSync(join(tmpdir(), 'fm-receive-once-'));
  const receiver = start(process.execPath, [
    CLI_BIN,
    'receive',
    ...EPHEMERAL_RECEIVE,
    '--out-dir',
    out,
    ...extra,
  ]);
  try {
    await receiver.waitForOutput(/receive: ready: /, 60_000);
    const code = await receiver.stop('SIGTERM', 30_000);
    return { code, stderr: receiver.stderr() };
  } finally {
    await receiver.stop('SIGKILL');
    rmSync(out, { recursive: true, force: true });
  }
}
