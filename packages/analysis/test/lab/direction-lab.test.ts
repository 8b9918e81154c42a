// Direction relative to the mirrored ENI without identity configuration: IPv4 and IPv6 traffic of a
// real lab session (the kernel mirrors the task's interface as VXLAN). As in AWS, the outer source is
// made the ENI's primary IPv4 address (the lab's VXLAN runs over a link of its own, so the capture is
// rewritten with scapy). IPv6 addresses never appear as the outer source, so their direction comes
// from the ENI's MAC, learned from its IPv4 frames.

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonLines, runCli } from '@fargate-mirror/testkit/cli';
import { rewriteMirror } from '@fargate-mirror/testkit/mirror-records';
import { run } from '@fargate-mirror/testkit/proc';
import { requireRootAndTools } from '@fargate-mirror/testkit/require-tools';
import { captureMirroredSession, type MirroredSession } from '@fargate-mirror/testkit/session';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const TOOLS = ['tcpdump', 'tshark', 'dnsmasq', 'dig', 'curl', 'openssl', 'ping', '/usr/bin/python3', 'scapy'];
type Rec = Record<string, unknown>;

describe('direction learned from the mirrored ENI’s own traffic', () => {
  let session: MirroredSession;
  let records: Rec[];
  /** The task's addresses (both families), from the task's own capture: every frame it sent. */
  let taskAddresses: Set<string>;

  beforeAll(async () => {
    requireRootAndTools(TOOLS);
    session = await captureMirroredSession({ stem: 'direction' });
    // The task's primary IPv4 address: where the HTTP requests go.
    const served = await run('tshark', [
      '-r',
      session.taskPcap,
      '-n',
      '-Y',
      'http.request and ip',
      '-T',
      'fields',
      '-e',
      'ip.dst',
    ]);
    const eniIp = served.stdout.trim().split('\n')[0];
    const awsShaped = join(session.dir, 'direction-aws.pcap');
    await rewriteMirror(session.outerPcap, awsShaped, { outerSrc: eniIp });
    const out = `${awsShaped}.records.jsonl`;
    const r = await runCli(['read', awsShaped, '--records', out]);
    if (r.code !== 0) throw new Error(`fargate-mirror read exited ${r.code}:\n${r.stderr}`);
    records = readJsonLines(out);
    // tshark: the source MAC of most frames leaving the task is the task's; its IPs are those behind it.
    const { stdout } = await run('tshark', [
      '-r',
      session.taskPcap,
      '-n',
      '-T',
      'fields',
      '-e',
      'eth.src',
      '-e',
      'ip.src',
      '-e',
      'ipv6.src',
    ]);
    const rows = stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.split('\t'));
    const v4 = rows.filter((r) => r[1] !== '');
    // The task's MAC: the source MAC of frames from the mirrored interface's own IPv4 address.
    const mac = v4.find((r) => r[1] === eniIp)?.[0];
    if (mac === undefined) throw new Error(`no frame from the mirrored address ${eniIp} in the task capture`);
    taskAddresses = new Set(rows.filter((r) => r[0] === mac).map((r) => (r[1] !== '' ? r[1] : r[2])));
  }, 180_000);

  afterAll(() => {
    if (session) rmSync(session.dir, { recursive: true, force: true });
  });

  it('gives every flow and transaction record of both IP versions a direction, without identity configuration', () => {
    const ipv6 = records.filter((r) => String(r.src_ip).includes(':'));
    expect(ipv6.length).toBeGreaterThan(0);
    expect(
      records.filter((r) => r.direction === 'unknown').map((r) => `${r.type} ${r.src_ip} ${r.dest_ip}`),
    ).toEqual([]);
  });

  it('says outbound when the mirrored ENI is the source and inbound when it is the destination (tshark: addresses behind its MAC)', () => {
    const checked = records.filter((r) => r.src_ip !== undefined && r.dest_ip !== undefined);
    expect(checked.length).toBeGreaterThan(0);
    for (const r of checked) {
      const src = taskAddresses.has(String(r.src_ip));
      // A multicast frame on the task's interface (IPv6 neighbour solicitation) was received by it.
      const multicast = /^(ff[0-9a-f]{2}:|2(2[4-9]|3[0-9])\.)/.test(String(r.dest_ip));
      const dest = taskAddresses.has(String(r.dest_ip)) || multicast;
      const expected = src && dest ? 'internal' : src ? 'outbound' : dest ? 'inbound' : 'unknown';
      expect(`${r.type} ${r.src_ip} -> ${r.dest_ip}: ${r.direction}`).toBe(
        `${r.type} ${r.src_ip} -> ${r.dest_ip}: ${expected}`,
      );
    }
  });
});
