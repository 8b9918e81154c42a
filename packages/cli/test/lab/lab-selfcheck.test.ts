// Self-checks of the real-traffic lab (packages/testkit/) that every data-plane test stands on:
// the kernel really mirrors every frame of the task's interface to the collector as VXLAN, in each
// lab variant, and the scapy rewriters produce what tshark decodes as intended.
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { OUTER_CAPTURE_FILTER } from '@fargate-mirror/testkit/capture';
import {
  groundTruthFlows,
  groundTruthFrames,
  innerFramesFromOuter,
} from '@fargate-mirror/testkit/ground-truth';
import { createMirrorLab } from '@fargate-mirror/testkit/lab';
import { run } from '@fargate-mirror/testkit/proc';
import { requireRootAndTools } from '@fargate-mirror/testkit/require-tools';
import { fragmentCapture, truncateCapture, wrapInGeneve } from '@fargate-mirror/testkit/rewrite';
import { captureMirroredSession, type MirroredSession } from '@fargate-mirror/testkit/session';
import { curlTraffic, startTaskServers } from '@fargate-mirror/testkit/traffic';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const TOOLS = ['tcpdump', 'tshark', 'dnsmasq', 'dig', 'curl', 'openssl', 'ping', '/usr/bin/python3', 'scapy'];

/** tshark -T fields over a capture, one array of columns per frame. */
async function tsharkColumns(pcap: string, fields: string[], filter?: string): Promise<string[][]> {
  const args = ['-r', pcap, '-n', '-T', 'fields', '-E', 'separator=\t'];
  if (filter) args.push('-Y', filter);
  for (const f of fields) args.push('-e', f);
  const { stdout } = await run('tshark', args);
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t'));
}

const hexes = (frames: { hex: string }[]) => frames.map((f) => f.hex);
const sorted = (xs: string[]) => [...xs].sort();

describe('the mirror lab', () => {
  let plain: MirroredSession;
  const dirs: string[] = [];

  beforeAll(async () => {
    requireRootAndTools(TOOLS);
    plain = await captureMirroredSession({ stem: 'plain' });
    dirs.push(plain.dir);
  });

  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('mirrors every frame of the task interface, both directions, to the collector as VXLAN VNI 42', async () => {
    // Prepare
    const task = await groundTruthFrames(plain.taskPcap);
    // Act
    const inner = await innerFramesFromOuter(plain.outerPcap);
    // Assess
    expect(inner.skipped).toBe(0);
    expect(new Set(inner.frames.map((f) => f.vni))).toEqual(new Set([42]));
    expect(sorted(hexes(inner.frames))).toEqual(sorted(hexes(task)));
    const outerSources = await tsharkColumns(plain.outerPcap, ['ip.src', 'ip.dst', 'udp.dstport'], 'vxlan');
    const outermost = outerSources.map((cols) => cols.map((c) => c.split(',')[0]).join(' '));
    expect(new Set(outermost)).toEqual(new Set(['10.77.2.1 10.77.2.2 4789']));
  });

  it('sees ordinary frames, not offload super-frames: none longer than 1514 bytes', async () => {
    const task = await groundTruthFrames(plain.taskPcap);
    expect(Math.max(...task.map((f) => f.len))).toBe(1514);
  });

  it('carries the planned conversations: HTTP, DNS over UDP and TCP, TLS, over IPv4 and IPv6', async () => {
    const truth = await groundTruthFlows(plain.taskPcap);
    const count = (transport: string, port: number, v6: boolean) =>
      truth.flows.filter(
        (f) => f.transport === transport && f.dest_port === port && f.src_ip.includes(':') === v6,
      ).length;
    expect(
      [false, true].map((v6) => ({
        http: count('tcp', 8080, v6),
        dnsUdp: count('udp', 53, v6),
        dnsTcp: count('tcp', 53, v6),
        tls: count('tcp', 8443, v6),
      })),
    ).toEqual([
      { http: 4, dnsUdp: 3, dnsTcp: 1, tls: 1 },
      { http: 4, dnsUdp: 1, dnsTcp: 0, tls: 1 },
    ]);
    // Every flow starts at the client (the initiator) and the 200 KB download is really there.
    expect(new Set(truth.flows.map((f) => f.src_ip))).toEqual(new Set(['10.77.1.1', 'fd00:77:1::1']));
    expect(truth.flows.filter((f) => f.bytes_in > 200_000)).toHaveLength(2);
    expect(truth.icmp.map((i) => i.transport).sort()).toEqual(['icmp', 'icmpv6', 'icmpv6']);
  });

  it('truncate.py cuts each inner frame to 128 bytes and rewrites the outer lengths, inner lengths kept', async () => {
    // Prepare
    const out = join(plain.dir, 'trunc.pcap');
    // Act
    const counts = await truncateCapture(plain.outerPcap, out, 128);
    // Assess
    expect(counts.truncated).toBeGreaterThan(0);
    const before = await innerFramesFromOuter(plain.outerPcap);
    const after = await innerFramesFromOuter(out);
    expect(hexes(after.frames)).toEqual(before.frames.map((f) => f.hex.slice(0, 256)));
    const fields = ['frame.len', 'ip.len', 'udp.length', 'ipv6.plen'];
    const cut = await tsharkColumns(out, fields, 'vxlan');
    const whole = await tsharkColumns(plain.outerPcap, fields, 'vxlan');
    for (const [i, [frameLen, ipLens, udpLens, v6Lens]] of cut.entries()) {
      const [outerIpLen, innerIpLen] = ipLens.split(',');
      const outerUdpLen = udpLens.split(',')[0];
      expect(Number(outerIpLen)).toBe(Number(frameLen) - 14);
      expect(Number(outerUdpLen)).toBe(Number(frameLen) - 34);
      expect(Number(outerUdpLen)).toBeLessThanOrEqual(8 + 8 + 128);
      // The inner header still says how long the packet was on the wire.
      expect([innerIpLen, v6Lens]).toEqual([whole[i][1].split(',')[1], whole[i][3]]);
    }
  });

  it('geneve.py wraps every VXLAN datagram in GENEVE with AWS options, and tshark decodes it all', async () => {
    // Prepare
    const out = join(plain.dir, 'geneve.pcap');
    // Act
    const counts = await wrapInGeneve(plain.outerPcap, out);
    // Assess
    const rows = await tsharkColumns(out, [
      'frame.protocols',
      'udp.dstport',
      'geneve.option.class',
      'geneve.proto_type',
    ]);
    expect(counts.wrapped).toBe(rows.length);
    for (const [protocols, ports, classes, protoType] of rows) {
      expect(protocols.startsWith('eth:ethertype:ip:udp:geneve:ip:udp:vxlan:eth:ethertype')).toBe(true);
      expect(ports.split(',').slice(0, 2)).toEqual(['6081', '4789']);
      expect(classes).toBe('0x0108,0x0108,0x0108');
      expect(protoType).toBe('0x0800');
    }
    const verbose = (await run('tshark', ['-r', out, '-V', '-c', '1'])).stdout;
    expect(verbose).toContain('Generic Network Virtualization Encapsulation');
    expect(verbose).toContain('Virtual eXtensible Local Area Network');
    expect(hexes((await innerFramesFromOuter(out)).frames)).toEqual(
      hexes((await innerFramesFromOuter(plain.outerPcap)).frames),
    );
  });

  it('fragment.py splits large VXLAN datagrams into IPv4 fragments that tshark reassembles', async () => {
    for (const order of ['forward', 'reverse'] as const) {
      // Prepare
      const out = join(plain.dir, `frag-${order}.pcap`);
      // Act
      const counts = await fragmentCapture(plain.outerPcap, out, { mtu: 1500, order });
      // Assess
      expect(counts.fragmented).toBeGreaterThan(0);
      const fragments = await tsharkColumns(out, ['ip.len'], 'ip.flags.mf == 1 || ip.frag_offset > 0');
      expect(fragments.length).toBe(counts.fragments);
      expect(Math.max(...fragments.map((c) => Number(c[0].split(',')[0])))).toBeLessThanOrEqual(1500);
      const reassembled = await tsharkColumns(out, ['vxlan.vni'], 'vxlan');
      expect(reassembled.length).toBe((await groundTruthFrames(plain.taskPcap)).length);
    }
  });

  it('with outerMtu 1500 the kernel itself IP-fragments VXLAN datagrams that carry full frames', async () => {
    // Act
    const s = await captureMirroredSession({ outerMtu: 1500, stem: 'mtu1500' });
    dirs.push(s.dir);
    // Assess
    const task = await groundTruthFrames(s.taskPcap);
    const fragments = await tsharkColumns(s.outerPcap, ['ip.len'], 'ip.flags.mf == 1');
    const fullFrames = task.filter((f) => f.len === 1514).length;
    expect(fullFrames).toBeGreaterThan(0);
    // Every full-size inner frame made one first fragment (and its VXLAN datagram was not dropped).
    expect(fragments.length).toBe(fullFrames);
    expect((await tsharkColumns(s.outerPcap, ['vxlan.vni'], 'vxlan')).length).toBe(task.length);
  });

  it('with outerIpv6 the mirrored stream runs over IPv6 and still carries every frame', async () => {
    // Act
    const s = await captureMirroredSession({ outerIpv6: true, stem: 'outer6', traffic: { large: false } });
    dirs.push(s.dir);
    // Assess
    const inner = await innerFramesFromOuter(s.outerPcap);
    expect(sorted(hexes(inner.frames))).toEqual(sorted(hexes(await groundTruthFrames(s.taskPcap))));
    const outer = await tsharkColumns(s.outerPcap, ['ipv6.src', 'ipv6.dst'], 'vxlan');
    expect(new Set(outer.map((c) => `${c[0].split(',')[0]} ${c[1].split(',')[0]}`))).toEqual(
      new Set(['fd00:77:2::1 fd00:77:2::2']),
    );
    // fragment.py handles the IPv6 outer header too (Fragment extension header).
    const frag = join(s.dir, 'frag6.pcap');
    const counts = await fragmentCapture(s.outerPcap, frag, { mtu: 1280 });
    expect(counts.fragmented).toBeGreaterThan(0);
    expect((await tsharkColumns(frag, ['ipv6.fraghdr.ident'], 'ipv6.fraghdr')).length).toBe(counts.fragments);
    expect((await tsharkColumns(frag, ['vxlan.vni'], 'vxlan')).length).toBe(inner.frames.length);
  });

  it('with mirrorClient both ends of the conversation reach the collector, each with its own VNI', async () => {
    // Prepare
    const lab = await createMirrorLab({ mirrorClient: { vni: 7 } });
    try {
      const servers = await startTaskServers(lab);
      const outerPcap = join(lab.dir, 'both.pcap');
      const taskPcap = join(lab.dir, 'task.pcap');
      const outer = await lab.startCapture('collector', lab.dev.collector, OUTER_CAPTURE_FILTER, outerPcap);
      const task = await lab.startCapture('task', lab.dev.taskMirrored, '', taskPcap);
      // Act
      await curlTraffic(lab, servers, { families: ['v4'], large: false });
      await task.stop();
      await outer.stop();
      // Assess
      const truth = sorted(hexes(await groundTruthFrames(taskPcap)));
      const inner = await innerFramesFromOuter(outerPcap);
      expect(sorted(hexes(inner.frames.filter((f) => f.vni === 42)))).toEqual(truth);
      expect(sorted(hexes(inner.frames.filter((f) => f.vni === 7)))).toEqual(truth);
      const sources = await tsharkColumns(outerPcap, ['vxlan.vni', 'ip.src'], 'vxlan');
      expect(new Set(sources.map((c) => `${c[0]} ${c[1].split(',')[0]}`))).toEqual(
        new Set(['42 10.77.2.1', '7 10.77.2.3']),
      );
    } finally {
      await lab.close();
    }
  });

  it('close() kills what the lab started, by PID, and deletes its namespaces', async () => {
    // Prepare
    const lab = await createMirrorLab({});
    const sleeper = lab.spawn('task', 'sleep', ['600']);
    const names = Object.values(lab.ns);
    // Act
    await lab.close();
    // Assess
    expect(await sleeper.exited).toBe('SIGTERM');
    const listed = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    expect(names.filter((n) => listed.includes(n))).toEqual([]);
    expect(existsSync(lab.dir)).toBe(false);
  });

  it('requireRootAndTools names a missing tool and the package to install', () => {
    expect(() => requireRootAndTools(['no-such-tool-xyz', 'dnsmasq'])).toThrow(
      /missing tool no-such-tool-xyz: apt-get install no-such-tool-xyz/,
    );
  });
});
