// `fargate-mirror forward` in a namespace shaped like a Fargate task, offloads ON (so the capture sees
// TSO/GSO/GRO super-frames), with real curl, dig and ping traffic, large transfers both ways. The
// collector's capture of the VXLAN stream is decapsulated by the offline reader (`read`) and
// compared, by tshark, with a reference capture taken on the task's interface at the same time.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Capture } from '@fargate-mirror/testkit/capture';
import { readJsonLines, runCli } from '@fargate-mirror/testkit/cli';
import {
  icmpFromRecords,
  sortFlows,
  sortIcmp,
  tcpUdpFlowsFromRecords,
} from '@fargate-mirror/testkit/flow-compare';
import { canonicalIp, flowKey, groundTruthFlows } from '@fargate-mirror/testkit/ground-truth';
import { requireRootAndTools } from '@fargate-mirror/testkit/require-tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADDR,
  COLLECTOR_DEV,
  createForwardLab,
  type ForwardLab,
  LINK_MTU,
  startLabCapture,
  TASK_DEV,
} from '../helpers/forward-lab.ts';
import { requireBuiltCli, startForward } from '../helpers/forwarder-process.ts';
import { TCP_PAYLOAD_FIELDS, tcpPayloadByDirection } from '../helpers/tcp-payload.ts';
import { tsharkRows } from '../helpers/tshark.ts';

const HTTP_PORT = 8080;
const BIG = 2_000_000;
const OWN_TRAFFIC = `udp and dst host ${ADDR.collector.v4} and dst port 4789`;

let lab: ForwardLab;
beforeAll(async () => {
  requireRootAndTools(['tcpdump', 'tshark', 'curl', 'dig', 'dnsmasq', 'ping']);
  requireBuiltCli();
  lab = await createForwardLab();
  // Web servers on both sides (downloads in both directions), a DNS server on the client/gateway
  // with answers of every size, and a UDP sink at the collector (no ICMP port-unreachable noise).
  const server = join(import.meta.dirname, '..', 'helpers', 'http-server.mjs');
  for (const role of ['task', 'client'] as const) {
    await lab.spawn(role, process.execPath, [server, String(HTTP_PORT)]).waitForOutput('listening');
  }
  const txt = (name: string, count: number) =>
    Array.from(
      { length: count },
      (_, i) => `--txt-record=${name},"${String(i).padStart(3, '0')}${'x'.repeat(240)}"`,
    );
  const dns = lab.spawn('client', 'dnsmasq', [
    '--keep-in-foreground',
    '--no-daemon',
    '--no-resolv',
    '--no-hosts',
    '--bind-interfaces',
    `--listen-address=${ADDR.client.v4}`,
    `--listen-address=${ADDR.client.v6}`,
    '--port=53',
    '--user=root',
    '--log-facility=-',
    '--address=/api.svc.test/10.79.9.10',
    ...txt('mid.svc.test', 4), // ~1 KB: one UDP answer
    ...txt('huge.svc.test', 24), // ~6 KB: truncated over UDP, asked again over TCP
  ]);
  await dns.waitForOutput(/started|compile time/);
  const sink = `require('node:dgram').createSocket('udp4').on('message', () => {}).bind(4789, () => console.log('bound'))`;
  await lab.spawn('collector', process.execPath, ['-e', sink]).waitForOutput('bound');
}, 120_000);
afterAll(async () => {
  await lab?.close();
});

async function stopCapture(c: Capture): Promise<void> {
  const stats = await c.stop();
  expect(stats.droppedByKernel, `${c.dev} capture`).toBe(0);
}

async function taskTraffic(): Promise<void> {
  const curl = (role: 'task' | 'client', args: string[]) =>
    lab.exec(role, 'curl', [
      '-sS',
      '--fail',
      '--max-time',
      '30',
      '-o',
      '/dev/null',
      '-w',
      '%{size_download} %{size_upload}',
      ...args,
    ]);
  // Egress super-frames (TSO): the task serves 2 MB, over IPv4 and IPv6.
  expect((await curl('client', [`http://${ADDR.task.v4}:${HTTP_PORT}/bytes/${BIG}`])).stdout).toBe(
    `${BIG} 0`,
  );
  expect((await curl('client', [`http://[${ADDR.task.v6}]:${HTTP_PORT}/bytes/${BIG}`])).stdout).toBe(
    `${BIG} 0`,
  );
  // Ingress super-frames (GRO, GSO passed through the bridge): the task downloads 2 MB, uploads 1 MB.
  expect((await curl('task', [`http://${ADDR.client.v4}:${HTTP_PORT}/bytes/${BIG}`])).stdout).toBe(
    `${BIG} 0`,
  );
  const upload = join(lab.dir, 'upload.bin');
  writeFileSync(upload, Buffer.alloc(1_000_000, 7));
  const put = await lab.exec('task', 'curl', [
    '-sS',
    '--fail',
    '--max-time',
    '30',
    '-T',
    upload,
    `http://[${ADDR.client.v6}]:${HTTP_PORT}/up`,
  ]);
  expect(JSON.parse(put.stdout)).toEqual({ method: 'PUT', received: 1_000_000 });
  // DNS: small and ~1 KB answers over UDP (both families), ~6 KB over TCP.
  const dig = (args: string[]) => lab.exec('task', 'dig', ['+time=5', '+tries=1', ...args]);
  expect((await dig([`@${ADDR.client.v4}`, 'api.svc.test', 'A', '+short'])).stdout.trim()).toBe('10.79.9.10');
  expect(
    (await dig([`@${ADDR.client.v4}`, 'mid.svc.test', 'TXT', '+short', '+ignore'])).stdout.trim().split('\n'),
  ).toHaveLength(4);
  expect(
    (await dig([`@${ADDR.client.v6}`, 'mid.svc.test', 'TXT', '+short', '+ignore'])).stdout.trim().split('\n'),
  ).toHaveLength(4);
  expect(
    (await dig([`@${ADDR.client.v4}`, 'huge.svc.test', 'TXT', '+short', '+tcp'])).stdout.trim().split('\n'),
  ).toHaveLength(24);
  // ICMP, and one ping large enough to be IP-fragmented (its fragments fill the link MTU).
  await lab.exec('task', 'ping', ['-c', '2', '-i', '0.2', ADDR.client.v4]);
  await lab.exec('task', 'ping', ['-c', '1', '-s', '3000', ADDR.client.v4]);
}

// Every engine (native forwarding, native capture with the TypeScript path, tcpdump) must pass the same tests.
describe.each(['native', 'native-capture', 'tcpdump'] as const)(
  'forward in a task namespace with offloads on (%s capture)',
  (engine) => {
    it('mirrors curl, dig and ping traffic: super-frames split to fit the MTU, payload and flows intact, nothing of its own', async () => {
      const reference = join(lab.dir, 'task-eth0.pcap');
      const outer = join(lab.dir, 'collector.pcap');
      const refCap = await startLabCapture(lab, 'task', TASK_DEV, `not (${OWN_TRAFFIC})`, reference);
      const collCap = await startLabCapture(
        lab,
        'collector',
        COLLECTOR_DEV,
        'udp dst port 4789 or (ip[6:2] & 0x3fff != 0)',
        outer,
      );
      const fwd = await startForward(lab, [
        '--to',
        `${ADDR.collector.v4}:4789`,
        '--capture-engine',
        engine,
        '--vni',
        '4242',
        '--log-level',
        'info',
        // The downloads arrive at veth speed (about 6 MB of super-frames in a burst): a ring that
        // holds all of it, so a forwarder descheduled on a loaded machine loses nothing and every
        // frame can be compared. The default (8 MiB) is sized for the memory goal (README "Cost").
        '--capture-buffer',
        '32768',
      ]);
      expect(fwd.startLog).toMatchObject({
        interface: TASK_DEV,
        interfaceChosenBy: 'ipv4 default route',
        interfaceMtu: LINK_MTU,
        maxInnerFrame: LINK_MTU - 36,
        captureEngine: engine,
      });

      await taskTraffic();
      await new Promise((r) => setTimeout(r, 500));
      const { exit, stats } = await fwd.stop();
      await stopCapture(refCap);
      await stopCapture(collCap);
      expect(exit).toBe(0);

      // The capture really held offload super-frames, in both directions.
      const refRows = await tsharkRows(reference, ['frame.len', ...TCP_PAYLOAD_FIELDS]);
      const isTask = (a: string) => a === ADDR.task.v4 || a === ADDR.task.v6;
      const over = refRows.filter((r) => Number(r['frame.len']) > LINK_MTU + 14);
      expect(over.filter((r) => isTask(r['ip.src'] || r['ipv6.src'])).length).toBeGreaterThan(0);
      expect(over.filter((r) => isTask(r['ip.dst'] || r['ipv6.dst'])).length).toBeGreaterThan(0);

      // Everything the reference saw went through the forwarder, nothing was dropped or failed.
      expect(stats.reason).toBe('exit:stopped');
      expect(stats.framesCaptured, JSON.stringify(stats)).toBe(refRows.length);
      expect(stats.superframes).toBe(over.length);
      // The native engine did the work in C (sendmmsg batches); only the odd frame (none of IP here
      // but the ping's fragments) went through TypeScript. The others never batch.
      if (engine === 'native') {
        expect(stats.sendBatches as number).toBeGreaterThan(0);
        // the segments of a super-frame leave as UDP GSO messages (cut into datagrams by the kernel)
        expect(stats.gsoSends as number).toBeGreaterThan(0);
        expect(stats.framesToTypeScript as number).toBeLessThan((stats.framesCaptured as number) / 10);
      } else expect(stats.sendBatches).toBe(0);
      expect(stats).toMatchObject({
        droppedQueueFull: 0,
        sendErrors: 0,
        captureKernelDrops: 0,
        framesFilteredOut: 0,
      });
      expect(stats.framesSegmentedTcp as number).toBeGreaterThan(0);
      // The 3000-byte ping's first fragment fills the link: too large with the encapsulation, cut to fit.
      expect(stats.oversizeTruncated as number).toBeGreaterThan(0);

      // At the collector: one datagram per datagram sent, none over the MTU, none IP-fragmented, VNI 4242,
      // and each from one of the forwarder's source ports.
      const outerRows = await tsharkRows(outer, [
        'frame.len',
        'ip.flags.mf',
        'ip.frag_offset',
        'vxlan.vni',
        'udp.srcport',
        'udp.dstport',
        'ip.src',
        'ip.dst',
        'ipv6.src',
        'ipv6.dst',
        'tcp.srcport',
        'tcp.dstport',
      ]);
      expect(outerRows.length).toBe(stats.datagramsSent);
      const sourcePorts = new Set((fwd.startLog.sourcePorts as number[]).map(String));
      for (const r of outerRows) {
        expect(Number(r['frame.len'])).toBeLessThanOrEqual(LINK_MTU + 14);
        expect(r['ip.flags.mf'].split(',')[0]).toBe('0');
        expect(r['ip.frag_offset'].split(',')[0]).toBe('0');
        expect(r['vxlan.vni']).toBe('4242');
        expect(sourcePorts.has(r['udp.srcport'].split(',')[0])).toBe(true);
      }

      // Decapsulate with the offline reader: records and the inner frames.
      const records = join(lab.dir, 'records.jsonl');
      const inner = join(lab.dir, 'inner.pcap');
      const read = await runCli(['read', outer, '--records', records, '--pcap-out', inner]);
      expect(read.code, read.stderr).toBe(0);
      const innerRows = await tsharkRows(inner, [
        'frame.len',
        'frame.cap_len',
        'tcp.checksum.status',
        'udp.checksum.status',
        'ip.checksum.status',
        'udp.dstport',
        ...TCP_PAYLOAD_FIELDS,
      ]);
      expect(innerRows.length).toBe(stats.datagramsSent);
      for (const r of innerRows) {
        // Never the forwarder's own VXLAN inside.
        expect(r['udp.dstport']).not.toBe('4789');
        // Whole segments carry valid checksums (what the NIC would have written); cut ones can't.
        // (A wire-sized frame too large for the path with the encapsulation is cut as AWS cuts it: its
        // original length stays, so the decapsulated pcap shows it shorter than on the wire.)
        const cut =
          Number(r['frame.len']) === LINK_MTU - 36 || Number(r['frame.cap_len']) < Number(r['frame.len']);
        if (!cut) {
          expect(r['tcp.checksum.status'] || '1').toBe('1');
          expect(r['udp.checksum.status'] || '1').toBe('1');
          expect(r['ip.checksum.status'] || '1').toBe('1');
        }
      }

      // TCP: the same payload bytes over the same sequence ranges per direction as the reference.
      const wantTcp = tcpPayloadByDirection(refRows);
      const gotTcp = tcpPayloadByDirection(innerRows);
      expect(gotTcp).toEqual(wantTcp);
      const bigFlows = Object.values(wantTcp).filter((d) => d.payloadBytes >= BIG);
      expect(bigFlows.length).toBe(3);

      // UDP and ICMP packets are never split: the reader's flow records equal tshark's flows over the
      // reference exactly (IP bytes from the headers, even for the cut fragment); TCP flows are the same
      // connections, oriented the same way.
      const truth = await groundTruthFlows(reference);
      const recs = readJsonLines(records);
      const flows = tcpUdpFlowsFromRecords(recs);
      const udp = (f: { transport: string }[]) => f.filter((x) => x.transport === 'udp');
      expect(sortFlows(udp(flows) as typeof flows)).toEqual(sortFlows(udp(truth.flows) as typeof flows));
      expect(udp(truth.flows).length).toBeGreaterThanOrEqual(3);
      expect(sortIcmp(icmpFromRecords(recs))).toEqual(sortIcmp(truth.icmp));
      const tcpEnds = (f: typeof flows) =>
        f
          .filter((x) => x.transport === 'tcp')
          .map((x) => `${x.src_ip}|${x.src_port}>${x.dest_ip}|${x.dest_port}`)
          .sort();
      expect(tcpEnds(flows)).toEqual(tcpEnds(truth.flows));

      // One outer source port per inner flow, both directions.
      const perFlow = new Map<string, Set<string>>();
      for (const r of outerRows) {
        const udpPorts = r['udp.srcport'].split(',');
        if (
          r['tcp.srcport'] === '' &&
          !r['udp.dstport'].split(',').slice(1).includes('53') &&
          !udpPorts.slice(1).includes('53')
        )
          continue;
        const outerPort = r['udp.srcport'].split(',')[0];
        const v4 = r['ip.src'].split(',');
        const src = canonicalIp(v4.length > 1 ? v4[1] : r['ipv6.src']);
        const dst = canonicalIp(v4.length > 1 ? r['ip.dst'].split(',')[1] : r['ipv6.dst']);
        const tcp = r['tcp.srcport'] !== '';
        const ports = tcp
          ? [r['tcp.srcport'], r['tcp.dstport']]
          : [udpPorts[1], r['udp.dstport'].split(',')[1]];
        const key = flowKey(tcp ? 'tcp' : 'udp', src, Number(ports[0]), dst, Number(ports[1]));
        const set = perFlow.get(key) ?? new Set();
        set.add(outerPort);
        perFlow.set(key, set);
      }
      expect(perFlow.size).toBeGreaterThanOrEqual(truth.flows.length);
      for (const [key, ports] of perFlow) expect([...ports], key).toHaveLength(1);
    }, 300_000);

    it('applies a mirror filter file and --packet-length: rejected traffic absent, frames cut, flows still whole', async () => {
      const filter = join(lab.dir, 'filter.yaml');
      // Like a mirror filter that leaves DNS out: UDP rejected both ways, everything else accepted.
      writeFileSync(
        filter,
        ['ingress', 'egress']
          .flatMap((direction) => [
            `  - { ruleNumber: 10, direction: ${direction}, action: reject, protocol: udp, sourceCidrBlock: 0.0.0.0/0, destinationCidrBlock: 0.0.0.0/0 }`,
            `  - { ruleNumber: 20, direction: ${direction}, action: accept, sourceCidrBlock: 0.0.0.0/0, destinationCidrBlock: 0.0.0.0/0 }`,
          ])
          .reduce((text, line) => `${text}${line}\n`, 'rules:\n'),
      );
      const reference = join(lab.dir, 'filtered-task-eth0.pcap');
      const outer = join(lab.dir, 'filtered-collector.pcap');
      const refCap = await startLabCapture(lab, 'task', TASK_DEV, `not (${OWN_TRAFFIC})`, reference);
      const collCap = await startLabCapture(lab, 'collector', COLLECTOR_DEV, 'udp dst port 4789', outer);
      const fwd = await startForward(lab, [
        '--to',
        `${ADDR.collector.v4}:4789`,
        '--capture-engine',
        engine,
        '--filter',
        filter,
        '--packet-length',
        '128',
        '--log-level',
        'info',
      ]);
      await lab.exec('client', 'curl', [
        '-sS',
        '--fail',
        '--max-time',
        '30',
        '-o',
        '/dev/null',
        `http://${ADDR.task.v4}:${HTTP_PORT}/bytes/1000`,
      ]);
      await lab.exec('task', 'dig', [
        '+time=5',
        '+tries=1',
        `@${ADDR.client.v4}`,
        'api.svc.test',
        'A',
        '+short',
      ]);
      await lab.exec('task', 'ping', ['-c', '1', ADDR.client.v4]);
      await new Promise((r) => setTimeout(r, 500));
      const { stats } = await fwd.stop();
      await stopCapture(refCap);
      await stopCapture(collCap);

      expect(stats.framesFilteredOut).toBe(2); // the DNS query and its answer
      const records = join(lab.dir, 'filtered.jsonl');
      const inner = join(lab.dir, 'filtered-inner.pcap');
      const read = await runCli(['read', outer, '--records', records, '--pcap-out', inner]);
      expect(read.code, read.stderr).toBe(0);
      const innerRows = await tsharkRows(inner, ['frame.len', 'frame.cap_len', 'udp.port']);
      expect(innerRows.length).toBe(stats.datagramsSent);
      for (const r of innerRows) {
        expect(Number(r['frame.cap_len'])).toBeLessThanOrEqual(128);
        expect(r['udp.port']).toBe('');
      }
      expect(stats.packetLengthTruncated as number).toBeGreaterThan(0);
      // No super-frames here, so the accepted TCP and ICMP flows match tshark's exactly - bytes from
      // the IP headers, though every frame was cut to 128 bytes.
      const truth = await groundTruthFlows(reference);
      const recs = readJsonLines(records);
      expect(sortFlows(tcpUdpFlowsFromRecords(recs))).toEqual(
        sortFlows(truth.flows.filter((f) => f.transport === 'tcp')),
      );
      expect(truth.flows.some((f) => f.transport === 'udp')).toBe(true); // DNS did happen on the wire
      expect(sortIcmp(icmpFromRecords(recs))).toEqual(sortIcmp(truth.icmp));
    });
  },
);
