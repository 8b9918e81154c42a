// Issue 17 item 10 (part): TLS parse failures are counted. Real traffic mirrored by the kernel: one
// openssl s_client handshake (a tls record, nothing malformed) and one TCP connection from bash whose
// first bytes are a TLS record holding a ClientHello too short to be one (counted as malformed, no
// tls record), both to openssl s_server in the task.
import { join } from 'node:path';
import { createMirrorLab, type MirrorLab } from '@fargate-mirror/testkit/lab';
import { requireRootAndTools } from '@fargate-mirror/testkit/require-tools';
import { startTlsServer, TLS_SERVER_NAME } from '@fargate-mirror/testkit/traffic';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EPHEMERAL_SIDE_PORTS,
  metric,
  metrics,
  readJsonLines,
  requireBuiltCli,
  startReceive,
  stopReceive,
  waitUntil,
} from '../helpers/receive-support.ts';

let lab: MirrorLab | undefined;

beforeAll(async () => {
  requireRootAndTools(['openssl', 'curl', 'bash']);
  requireBuiltCli();
  lab = await createMirrorLab({ prefix: 'fmtlsbad', vni: 42 });
});

afterAll(async () => {
  await lab?.close();
});

describe('receive with a damaged TLS ClientHello', () => {
  it('counts it in payload_malformed_total{protocol="tls"} and writes no tls record for it', async () => {
    const l = lab as MirrorLab;
    await startTlsServer(l, 8443);
    const records = join(l.dir, 'records.jsonl');
    const receiver = await startReceive([...EPHEMERAL_SIDE_PORTS, '--records', records], (cmd, args) =>
      l.spawn('collector', cmd, args),
    );
    const ns = l.ns.collector;
    const good = await l.exec(
      'client',
      'openssl',
      ['s_client', '-connect', `${l.task.v4}:8443`, '-servername', TLS_SERVER_NAME, '-ign_eof'],
      { input: 'GET / HTTP/1.0\r\n\r\n', timeoutMs: 20_000 },
    );
    expect(good.stdout).toContain('HTTP/1.0 200 ok');
    // A TLS handshake record (0x16 0x0301, 8 bytes) carrying a ClientHello of 4 bytes: no version,
    // no random, nothing a ClientHello must hold.
    await l.exec('client', 'bash', [
      '-c',
      `exec 3<>/dev/tcp/${l.task.v4}/8443; printf '\\x16\\x03\\x01\\x00\\x08\\x01\\x00\\x00\\x04\\xde\\xad\\xbe\\xef' >&3; sleep 0.5; exec 3>&-`,
    ]);
    // Counted when the flow ends (FIN, then the close linger), reported with the next stats snapshot.
    await waitUntil(
      'the damaged hello counted',
      async () =>
        metric(await metrics(receiver.healthPort, ns), 'payload_malformed_total{protocol="tls"}') >= 1,
      60_000,
    );
    const m = await metrics(receiver.healthPort, ns);
    expect(metric(m, 'payload_malformed_total{protocol="tls"}')).toBe(1);
    await stopReceive(receiver);
    const tls = readJsonLines(records).filter((r) => r.type === 'tls');
    expect(tls.length).toBe(1);
    expect(tls[0].server_name).toBe(TLS_SERVER_NAME);
  }, 120_000);
});
