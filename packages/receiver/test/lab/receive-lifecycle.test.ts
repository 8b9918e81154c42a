// `receive` on loopback with hand-made datagrams: bad input is counted and harms nothing, pcap files
// rotate and stay within their bound, SIGTERM during traffic leaves whole files and every record,
// configuration mistakes name their key, and a capped receive buffer is reported with its sysctl.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '@fargate-mirror/testkit/cli';
import { start } from '@fargate-mirror/testkit/proc';
import { requireRoot, requireTools } from '@fargate-mirror/testkit/require-tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  countBy,
  flowRecords,
  httpGet,
  type InnerSpec,
  metric,
  metrics,
  pcapFiles,
  readJsonLines,
  requireBuiltCli,
  sendDatagrams,
  startReceive,
  stopReceive,
  tsharkReadsCleanly,
  vxlanDatagram,
  waitUntil,
} from '../helpers/receive-support.ts';

let dir = '';
beforeAll(() => {
  requireTools(['tshark', 'setpriv']);
  requireBuiltCli();
  dir = mkdtempSync(join(tmpdir(), 'fm-receive-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** setpriv arguments that run a program as root without CAP_NET_ADMIN (nor a way to regain it). */
const WITHOUT_NET_ADMIN = ['--inh-caps=-net_admin', '--bounding-set=-net_admin'];

const BASE = ['--health-port', '0', '--port', '0', '--geneve-port', '0', '--drain-seconds', '0'];

function flowSpecs(count: number, vni = 42): InnerSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    vni,
    src: `10.1.${i >> 8}.${i & 0xff}`,
    dst: '10.2.0.1',
    sport: 20000 + i,
    dport: 53,
  }));
}

function reverse(s: InnerSpec): InnerSpec {
  return { ...s, src: s.dst, dst: s.src, sport: s.dport, dport: s.sport };
}

describe('receive on loopback', () => {
  it('counts and drops bad datagrams without disturbing good traffic (jumbo and non-IP included)', async () => {
    const out = join(dir, 'bad');
    const r = await startReceive([
      ...BASE,
      '--workers',
      '2',
      '--pcap-dir',
      join(out, 'pcap'),
      '--records',
      join(out, 'r.jsonl'),
    ]);
    // Prepare: 20 flows, 3 packets each way; a 9001-byte jumbo datagram; an ARP frame; and junk.
    const specs = flowSpecs(20);
    const good = specs.flatMap((s) => [s, reverse(s), s, reverse(s), s, reverse(s)].map(vxlanDatagram));
    const jumbo = vxlanDatagram({
      vni: 42,
      src: '10.9.0.1',
      dst: '10.9.0.2',
      sport: 9,
      dport: 9,
      payloadBytes: 9001 - 8 - 14 - 28,
    });
    expect(jumbo.length).toBe(9001);
    const arp = Buffer.concat([
      Buffer.from([0x08, 0, 0, 0, 0, 0, 42, 0]),
      Buffer.alloc(12, 0xff),
      Buffer.from([0x08, 0x06]),
      Buffer.alloc(28),
    ]);
    const noVniFlag = Buffer.from(good[0]);
    noVniFlag[0] = 0;
    // Junk: zeros (no VXLAN I flag), three bytes (shorter than a VXLAN header), a header without the flag.
    const junk = [Buffer.alloc(30), Buffer.from([8, 2, 3]), noVniFlag];
    // Act
    await sendDatagrams(r.port, [...junk, ...good.slice(0, 60), jumbo, arp, ...junk, ...good.slice(60)]);
    // Workers report counters periodically, and packets handed to the other worker are counted there:
    // wait until both the datagrams and the packets they carry have been reported.
    await waitUntil('every datagram and packet counted', async () => {
      const now = await metrics(r.healthPort);
      return (
        metric(now, 'datagrams_received_total') >= good.length + 8 &&
        metric(now, 'packets_total') >= good.length + 2
      );
    });
    const m = await metrics(r.healthPort);
    const stderr = await stopReceive(r);
    // Assess: every junk datagram counted by reason, the rest exactly as sent.
    expect(metric(m, 'datagrams_received_total')).toBe(good.length + 8);
    expect(metric(m, 'malformed_total{reason="vxlan_no_vni_flag"}')).toBe(4);
    expect(metric(m, 'malformed_total{reason="vxlan_too_short"}')).toBe(2);
    expect(metric(m, 'inner_not_ip_total')).toBe(1);
    expect(metric(m, 'packets_total')).toBe(good.length + 2);
    expect(metric(m, 'kernel_drops_total')).toBe(0);
    expect(metric(m, 'vni_packets_total{vni="42"}')).toBe(good.length + 1);
    expect(stderr).toMatch(/malformed .*vxlan_no_vni_flag=4/);
    expect(stderr).toMatch(/malformed .*vxlan_too_short=2/);
    const flows = flowRecords(readJsonLines(join(out, 'r.jsonl')));
    const udp = flows.filter((f) => f.dest_port === 53);
    expect(udp.map((f) => `${f.src_ip}:${f.src_port} ${f.packets_out}/${f.packets_in}`).sort()).toEqual(
      specs.map((s) => `${s.src}:${s.sport} 3/3`).sort(),
    );
    expect(flows.find((f) => f.src_ip === '10.9.0.1')?.bytes_out).toBe(9001 - 8 - 14);
    expect(
      new Set(flows.map((f) => (f.mirror_points as { outer_src_ip: string }[])[0].outer_src_ip)),
    ).toEqual(new Set(['127.0.0.1']));
    let frames = 0;
    for (const f of pcapFiles(join(out, 'pcap'))) frames += await tsharkReadsCleanly(f);
    expect(frames).toBe(good.length + 2);
  });

  it('rotates pcap files by size and age, owner-only, and removes the oldest beyond --pcap-max-total', async () => {
    const pcapDir = join(dir, 'rotate', 'pcap');
    const r = await startReceive([
      ...BASE,
      '--pcap-dir',
      pcapDir,
      '--rotate-mb',
      '0.25',
      '--rotate-seconds',
      '1',
      '--pcap-max-total',
      '1MiB',
    ]);
    // 600 jumbo datagrams: about 5 MiB of pcap, 20 files of 0.25 MiB.
    const big = Array.from({ length: 600 }, (_, i) =>
      vxlanDatagram({
        vni: 5,
        src: '10.5.0.1',
        dst: '10.5.0.2',
        sport: 1000 + (i % 10),
        dport: 80,
        payloadBytes: 8900,
      }),
    );
    await sendDatagrams(r.port, big, 50);
    await waitUntil('all counted', async () => metric(await metrics(r.healthPort), 'packets_total') >= 600);
    // Age rotation: with no traffic the open file is completed within about a second.
    await waitUntil('the idle file to be completed by age', () =>
      readdirSync(pcapDir).every((n) => !n.endsWith('.tmp')),
    );
    const m = await metrics(r.healthPort);
    await stopReceive(r);
    expect(metric(m, 'pcap_files_completed_total')).toBeGreaterThanOrEqual(16);
    expect(metric(m, 'pcap_files_removed_total')).toBeGreaterThan(0);
    const files = pcapFiles(pcapDir);
    const total = files.reduce((n, f) => n + statSync(f).size, 0);
    expect(total).toBeLessThanOrEqual(1024 * 1024);
    expect(readdirSync(pcapDir).every((n) => n.endsWith('.pcap'))).toBe(true);
    expect(statSync(pcapDir).mode & 0o777).toBe(0o700);
    for (const f of files) {
      expect(statSync(f).mode & 0o777).toBe(0o600);
      expect(await tsharkReadsCleanly(f)).toBeGreaterThan(0);
    }
  });

  it('on SIGTERM during traffic: fails /healthz while draining, then leaves whole pcap files and every record', async () => {
    const out = join(dir, 'sigterm');
    const r = await startReceive([
      '--health-port',
      '0',
      '--port',
      '0',
      '--geneve-port',
      '0',
      '--workers',
      '2',
      '--drain-seconds',
      '1',
      '--out-dir',
      out,
    ]);
    expect((await httpGet(r.healthPort, '/healthz')).status).toBe(200);
    // Traffic that keeps coming until the receiver has gone: 400 flows, round after round.
    const specs = flowSpecs(400, 9);
    let sending = true;
    const sender = (async () => {
      while (sending)
        await sendDatagrams(
          r.port,
          specs.flatMap((s) => [vxlanDatagram(s), vxlanDatagram(reverse(s))]),
          100,
        );
    })();
    await waitUntil(
      'traffic to arrive',
      async () => metric(await metrics(r.healthPort), 'packets_total') > 2000,
    );
    r.proc.child.kill('SIGTERM');
    await waitUntil(
      '/healthz to fail while draining',
      async () => (await httpGet(r.healthPort, '/healthz').catch(() => ({ status: 0 }))).status === 503,
    );
    const stderr = await stopReceive(r);
    sending = false;
    await sender;
    // Assess: default outputs under --out-dir; the pcap files are whole and hold every packet counted;
    // the records account for every packet counted.
    const counted = Number(/(\d+) mirrored packets/.exec(stderr)?.[1]);
    expect(counted).toBeGreaterThan(2000);
    const pcapDir = join(out, 'pcap');
    expect(readdirSync(pcapDir).filter((n) => !n.endsWith('.pcap'))).toEqual([]);
    let frames = 0;
    for (const f of pcapFiles(pcapDir)) frames += await tsharkReadsCleanly(f);
    expect(frames).toBe(counted);
    const records = flowRecords(readJsonLines(join(out, 'records.jsonl')));
    expect(records.reduce((n, f) => n + Number(f.packets), 0)).toBe(counted);
    expect(records.length).toBe(400);
    expect([...countBy(records, (f) => `${f.src_ip}:${f.src_port}`).values()].every((n) => n === 1)).toBe(
      true,
    );
  });

  it('rejects bad options and configuration files, naming the key, with exit code 2', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'workers: 0\nrotateMb: big\nflows:\n  udpIdle: 1\n');
    const r1 = await runCli(['receive', '--config', bad]);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(/workers: expected a whole number >= 1/);
    expect(r1.stderr).toMatch(/rotateMb: /);
    expect(r1.stderr).toMatch(/flows\.udpIdle: unknown option/);
    expect(r1.stderr).toMatch(/RECEIVER_CONFIG_INVALID/);
    const r2 = await runCli(['receive', '--recv-buffer', 'huge', '--health-port', '0']);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/recvBuffer: expected a byte size/);
  });

  it('warns, naming net.core.rmem_max, when the kernel caps the receive buffer (no CAP_NET_ADMIN)', async () => {
    const rmemMax = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));
    // Without CAP_NET_ADMIN neither intake may go past rmem_max (SO_RCVBUFFORCE is refused).
    const r = await startReceive(
      [...BASE, '--recv-buffer', String(rmemMax * 2), '--records', join(dir, 'rmem.jsonl')],
      (cmd, args) => start('setpriv', [...WITHOUT_NET_ADMIN, '--', cmd, ...args]),
    );
    await stopReceive(r);
    expect(r.proc.stderr()).toMatch(
      new RegExp(
        `less than the .* asked for: the kernel caps it at net\\.core\\.rmem_max; raise it \\(sysctl -w net\\.core\\.rmem_max=${rmemMax * 2}\\) or give the receiver CAP_NET_ADMIN`,
      ),
    );
  });

  it('gets the whole receive buffer asked for, past net.core.rmem_max, with CAP_NET_ADMIN (native intake)', async () => {
    requireRoot('the receive buffer past net.core.rmem_max (SO_RCVBUFFORCE needs CAP_NET_ADMIN)');
    const rmemMax = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));
    const asked = rmemMax * 2;
    const r = await startReceive([
      ...BASE,
      ...['--intake', 'native', '--recv-buffer', String(asked), '--records', join(dir, 'forced.jsonl')],
    ]);
    // Linux reports twice the size set (its bookkeeping half): the whole of `asked` is usable.
    expect(metric(await metrics(r.healthPort), 'recv_buffer_bytes')).toBe(2 * asked);
    await stopReceive(r);
    expect(r.proc.stderr()).not.toMatch(/receive buffer is .* less than/);
  });
});
