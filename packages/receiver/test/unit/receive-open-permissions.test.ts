// Issue 17 item 10 (part): `receive` warns when an existing HEC spool directory (0755) or the HEC
// token file (0644) can be read by others - the spool holds traffic metadata, the file a secret.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HecServer, newToken } from '../helpers/hec-server.ts';
import { LOOPBACK_RECEIVE, requireBuiltCli, startReceive, stopReceive } from '../helpers/receive-support.ts';

let dir: string;
beforeAll(() => {
  requireBuiltCli();
  dir = mkdtempSync(join(tmpdir(), 'fm-open-perm-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('receive with a HEC spool directory and token file open to others', () => {
  it('warns about each, naming the mode', async () => {
    const token = newToken();
    const server = await HecServer.start({ tokens: { [token]: {} } });
    const saved = process.env.FARGATE_MIRROR_HEC_TOKEN;
    delete process.env.FARGATE_MIRROR_HEC_TOKEN;
    try {
      const spoolDir = join(dir, 'spool');
      mkdirSync(spoolDir);
      chmodSync(spoolDir, 0o755);
      const tokenFile = join(dir, 'token');
      writeFileSync(tokenFile, `${token}\n`);
      chmodSync(tokenFile, 0o644);
      const r = await startReceive([
        ...LOOPBACK_RECEIVE,
        '--records',
        join(dir, 'r.jsonl'),
        '--hec-url',
        server.url,
        '--hec-token-file',
        tokenFile,
        '--hec-spool-dir',
        spoolDir,
      ]);
      const stderr = await stopReceive(r);
      expect(stderr).toMatch(/the HEC spool directory is readable by others \(mode 0755\)/);
      expect(stderr).toMatch(/the HEC token file is readable by others \(mode 0644\)/);
      expect(stderr).not.toContain(token);
    } finally {
      if (saved !== undefined) process.env.FARGATE_MIRROR_HEC_TOKEN = saved;
      await server.close();
    }
  }, 60_000);
});
