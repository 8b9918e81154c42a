// The same real traffic (curl with large responses over IPv4 and IPv6, dig over UDP and TCP, ping)
// mirrored two ways at once into one live `fargate-mirror receive`: the kernel's own VXLAN mirroring
// of the task's interface (tc mirred, VNI KERNEL_VNI) and `fargate-mirror forward` capturing that
// interface (VNI FORWARD_VNI). The receiver keeps them apart (--address-domain vni, --no-dedup); its
// flow records per VNI are compared with each other and with tshark's flows over a capture of the
// task's interface.
//
// Offloads OFF (the first test): every view sees wire packets, so the three must agree exactly -
// 5-tuple, initiator, packets and bytes per direction.
// Offloads ON (the second test): the capture on the interface (tshark's view) sees one 64 KB
// super-frame where the wire carries ~45 segments, so its TCP counters cannot match the mirrors'.
// The kernel's tunnel GSO re-cuts the mirrored super-frame at its gso_size, the connection's own
// segment size (wire packets again); the forwarder, which finds no gso_size in a pcap record, cuts at
// the size it learned from the connection's handshake (the smaller advertised MSS less the options
// of each segment, as Linux sizes them). So the forwarder and the kernel mirror must agree exactly,
// TCP included - packets and bytes per direction - and both carry the same payload over the same
// sequence ranges as the interface. This holds because GRO only merges segments of one size (its
// gso_size is the first segment's; only the last may be shorter) and a Linux sender fills segments
// to MSS less options; a sender whose bulk segments were smaller than its MSS would be re-cut
// differently - not the case for this traffic. UDP and ICMP equal tshark's view too.

import {
  type FlowRecord,
  flowRecords,
  icmpFromRecords,
  sortFlows,
  sortIcmp,
  tcpUdpFlowsFromRecords,
} from '@fargate-mirror/testkit/flow-compare';
import { type GroundTruthFlow, groundTruthFlows } from '@fargate-mirror/testkit/ground-truth';
import { createMirrorLab, type MirrorLab } from '@fargate-mirror/testkit/lab';
import { requireRootAndTools } from '@fargate-mirror/testkit/require-tools';
import {
  curlTraffic,
  digTraffic,
  LARGE_RESPONSE_BYTES,
  pingTraffic,
  startTaskServers,
  type TaskServers,
} from '@fargate-mirror/testkit/traffic';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DualMirrorRun, runDualMirror } from '../helpers/dual-mirror-run.ts';
import { requireBuiltReceiveCli } from '../helpers/live-receiver.ts';
import { TCP_PAYLOAD_FIELDS, tcpPayloadByDirection } from '../helpers/tcp-payload.ts';
import { tsharkRows } from '../helpers/tshark.ts';

const KERNEL_VNI = 4100;
const FORWARD_VNI = 4200;
/** The collector link's MTU (createMirrorLab's default): jumbo, like a VPC's 9001. */
const OUTER_MTU = 9000;
const LINK_MTU = 1500;

let lab: MirrorLab;
let servers: TaskServers;
beforeAll(async () => {
  requireRootAndTools(['tcpdump', 'tshark', 'curl', 'dig', 'dnsmasq', 'openssl', 'ping']);
  requireBuiltReceiveCli();
  lab = await createMirrorLab({ prefix: 'fmfvk', vni: KERNEL_VNI, outerMtu: OUTER_MTU });
  servers = await startTaskServers(lab);
}, 120_000);
afterAll(async () => {
  await lab?.close();
});

/** TSO/GSO/GRO and checksum offload on the task's mirrored interface, on or off. */
async function taskOffloads(state: 'on' | 'off'): Promise<void> {
  await lab.exec('task', 'ethtool', ['-K', lab.dev.taskMirrored, 'tso', state, 'gso', state, 'gro', state]);
  await lab.exec('task', 'ethtool', ['-K', lab.dev.taskMirrored, 'tx', state]);
}

async function traffic(): Promise<void> {
  await curlTraffic(lab, servers); // GETs, a keep-alive series, /large, a 20 KB POST; IPv4 and IPv6
  await digTraffic(lab); // A over IPv4, AAAA over IPv6, NXDOMAIN, one query over TCP
  await pingTraffic(lab);
}

function mirrorBoth(
  name: string,
  captureEngine: 'native' | 'native-capture' | 'tcpdump',
): Promise<DualMirrorRun> {
  return runDualMirror(
    lab,
    `${name}-${captureEngine}`,
    { forwardVni: FORWARD_VNI, mtu: OUTER_MTU, captureEngine },
    traffic,
  );
}

/** Flow records of one VNI, each seen at exactly one mirror point: that VNI's, from the task. */
function recordsOf(run: DualMirrorRun, vni: number): FlowRecord[] {
  const mine = flowRecords(run.records).filter((r) => r.vni === vni);
  for (const r of mine) {
    expect(r.mirror_points, JSON.stringify(r)).toEqual([
      expect.objectContaining({ vni, outer_src_ip: lab.taskOuterIp }),
    ]);
  }
  return mine;
}

/** Both VNIs' records account for every flow record the receiver wrote. */
function splitByVni(run: DualMirrorRun): { kernel: FlowRecord[]; forwarded: FlowRecord[] } {
  const kernel = recordsOf(run, KERNEL_VNI);
  const forwarded = recordsOf(run, FORWARD_VNI);
  expect(flowRecords(run.records).length, run.receiverSummary).toBe(kernel.length + forwarded.length);
  return { kernel, forwarded };
}

/** The traffic really happened: both families, two large downloads, DNS over UDP and TCP. */
function expectTheTraffic(truth: GroundTruthFlow[]): void {
  const tcp = truth.filter((f) => f.transport === 'tcp');
  expect(tcp.filter((f) => f.dest_port === 8080 && f.bytes_in > LARGE_RESPONSE_BYTES)).toHaveLength(2);
  expect(tcp.filter((f) => f.dest_port === 53)).toHaveLength(1);
  expect(truth.filter((f) => f.transport === 'udp' && f.dest_port === 53)).toHaveLength(4);
  expect(new Set(truth.map((f) => f.src_ip.includes(':')))).toEqual(new Set([true, false]));
}

/** Each flow as "transport initiator > responder", without counters. */
function endpoints(flows: readonly GroundTruthFlow[]): string[] {
  return flows.map((f) => `${f.transport} ${f.src_ip}|${f.src_port} > ${f.dest_ip}|${f.dest_port}`).sort();
}

async function tcpPayload(files: readonly string[]) {
  expect(files.length).toBeGreaterThan(0);
  const rows = [];
  for (const f of files) rows.push(...(await tsharkRows(f, ['frame.len', ...TCP_PAYLOAD_FIELDS])));
  return { rows, payload: tcpPayloadByDirection(rows) };
}

// Both capture engines (the native core and tcpdump) must pass the same tests.
describe.each(['native', 'native-capture', 'tcpdump'] as const)(
  'forward next to kernel VXLAN mirroring, into the live receiver (%s capture)',
  (engine) => {
    it('offloads off: the forwarder, the kernel mirror and tshark give equal flows, counter for counter', async () => {
      await taskOffloads('off');
      const run = await mirrorBoth('offloads-off', engine);
      expect(run.referenceStats.droppedByKernel).toBe(0);
      expect(run.outerStats.droppedByKernel).toBe(0);
      expect(run.forwarderStats).toMatchObject({
        superframes: 0,
        droppedQueueFull: 0,
        sendErrors: 0,
        captureKernelDrops: 0,
      });
      const { kernel, forwarded } = splitByVni(run);
      for (const r of [...kernel, ...forwarded]) expect(r.truncated_packets, JSON.stringify(r)).toBe(0);

      const truth = await groundTruthFlows(run.reference);
      expectTheTraffic(truth.flows);
      const kernelFlows = sortFlows(tcpUdpFlowsFromRecords(kernel));
      expect(sortFlows(tcpUdpFlowsFromRecords(forwarded))).toEqual(kernelFlows);
      expect(kernelFlows).toEqual(sortFlows(truth.flows));
      expect(sortIcmp(icmpFromRecords(forwarded))).toEqual(sortIcmp(icmpFromRecords(kernel)));
      expect(sortIcmp(icmpFromRecords(kernel))).toEqual(sortIcmp(truth.icmp));
    }, 120_000);

    it('offloads on: forwarder and kernel mirror equal counter for counter, TCP payload and sequence ranges as on the interface', async () => {
      await taskOffloads('on');
      try {
        const run = await mirrorBoth('offloads-on', engine);
        expect(run.referenceStats.droppedByKernel).toBe(0);
        expect(run.outerStats.droppedByKernel).toBe(0);
        const stats = run.forwarderStats;
        expect(stats).toMatchObject({ droppedQueueFull: 0, sendErrors: 0, captureKernelDrops: 0 });
        expect(stats.superframes as number).toBeGreaterThan(0);
        expect(stats.framesSegmentedTcp as number).toBeGreaterThan(0);
        // Every connection was seen from its handshake: every TCP super-frame cut at its own MSS.
        expect(stats.superframesCutAtConnectionMss).toBe(stats.framesSegmentedTcp);

        // Every datagram of either mirror fits the collector link whole: nothing over the MTU, no fragments.
        const outer = await tsharkRows(run.outerPcap, [
          'frame.len',
          'ip.flags.mf',
          'ip.frag_offset',
          'vxlan.vni',
        ]);
        expect(outer.length).toBe(run.outerStats.captured);
        for (const r of outer) {
          expect(Number(r['frame.len'])).toBeLessThanOrEqual(OUTER_MTU + 14);
          expect(r['ip.flags.mf'].split(',')[0]).toBe('0');
          expect(r['ip.frag_offset'].split(',')[0]).toBe('0');
        }
        expect(new Set(outer.map((r) => r['vxlan.vni']))).toEqual(
          new Set([String(KERNEL_VNI), String(FORWARD_VNI)]),
        );

        const { kernel, forwarded } = splitByVni(run);
        const truth = await groundTruthFlows(run.reference);
        expectTheTraffic(truth.flows);
        const kernelFlows = tcpUdpFlowsFromRecords(kernel);
        const forwardedFlows = tcpUdpFlowsFromRecords(forwarded);
        expect(endpoints(forwardedFlows)).toEqual(endpoints(truth.flows));
        expect(endpoints(kernelFlows)).toEqual(endpoints(truth.flows));
        const udp = (f: GroundTruthFlow[]) => sortFlows(f.filter((x) => x.transport === 'udp'));
        expect(udp(forwardedFlows)).toEqual(udp(truth.flows));
        // The forwarder's flows equal the kernel mirror's exactly: TCP packets and bytes per direction too.
        expect(sortFlows(forwardedFlows)).toEqual(sortFlows(kernelFlows));
        // ...and the large downloads really went out as many MSS-sized segments, not a few 8.9 KB pieces.
        for (const f of forwardedFlows.filter((x) => x.bytes_in > LARGE_RESPONSE_BYTES))
          expect(f.packets_in).toBeGreaterThan(f.bytes_in / LINK_MTU);
        expect(udp(kernelFlows)).toEqual(udp(truth.flows));
        expect(sortIcmp(icmpFromRecords(forwarded))).toEqual(sortIcmp(truth.icmp));
        expect(sortIcmp(icmpFromRecords(kernel))).toEqual(sortIcmp(truth.icmp));

        // TCP, from the receiver's decapsulated pcap of each VNI: the same payload over the same
        // sequence ranges per direction as on the task's interface. The reference really held
        // super-frames in both directions (TSO out, GRO in).
        const reference = await tcpPayload([run.reference]);
        const isTask = (a: string) => a === lab.task.v4 || a === lab.task.v6;
        const over = reference.rows.filter((r) => Number(r['frame.len']) > LINK_MTU + 14);
        expect(over.some((r) => isTask(r['ip.src'] || r['ipv6.src']))).toBe(true);
        expect(over.some((r) => isTask(r['ip.dst'] || r['ipv6.dst']))).toBe(true);
        expect((await tcpPayload(run.pcapOf(FORWARD_VNI))).payload).toEqual(reference.payload);
        expect((await tcpPayload(run.pcapOf(KERNEL_VNI))).payload).toEqual(reference.payload);
      } finally {
        await taskOffloads('off');
      }
    }, 120_000);
  },
);
