// One run of the same traffic mirrored two ways at once into one live receiver: the kernel's own
// VXLAN mirroring of the lab's task interface (tc mirred into a VXLAN device, the lab's VNI) and
// `fargate-mirror forward` capturing that same interface (its own VNI). Around it: a reference
// capture on the task's interface (tshark's ground truth) and a capture of every VXLAN datagram that
// reaches the collector (how much the receiver must have read before it is stopped).
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CaptureStats } from '@fargate-mirror/testkit/capture';
import { CLI_BIN, readJsonLines } from '@fargate-mirror/testkit/cli';
import type { MirrorLab } from '@fargate-mirror/testkit/lab';
import { type StatsLine, startForward } from './forwarder-process.ts';
import { startLiveReceiver, waitFor } from './live-receiver.ts';

/** The kernel mirror's VXLAN device sends to 4789, so the receiver listens there. */
export const VXLAN_PORT = 4789;

export interface DualMirrorRun {
  /** Every record the receiver wrote. */
  records: Record<string, unknown>[];
  /** Ground truth: tcpdump on the task's mirrored interface. */
  reference: string;
  /** Every VXLAN datagram the collector received, from both mirrors. */
  outerPcap: string;
  /** The receiver's decapsulated pcap files per VNI (--pcap-per-vni), in name (= time) order. */
  pcapOf(vni: number): string[];
  /** The forwarder's final stats line. */
  forwarderStats: StatsLine;
  /** The receiver's summary line. */
  receiverSummary: string;
  referenceStats: CaptureStats;
  outerStats: CaptureStats;
}

/**
 * Starts the receiver in the collector namespace (per-VNI address domains, no de-duplication, so the
 * two mirrors' copies of each packet stay two separate flow tables), the captures and the forwarder
 * (VNI `forwardVni`, path MTU `mtu`), runs `traffic`, then stops everything in reverse order:
 * the forwarder and the captures first, the receiver (SIGTERM, exit 0) once it has read every
 * datagram the collector's capture saw.
 */
export async function runDualMirror(
  lab: MirrorLab,
  name: string,
  opts: { forwardVni: number; mtu: number; captureEngine?: 'native' | 'native-capture' | 'tcpdump' },
  traffic: () => Promise<void>,
): Promise<DualMirrorRun> {
  const dir = join(lab.dir, name);
  const pcapDir = join(dir, 'pcap');
  mkdirSync(pcapDir, { recursive: true });
  const recordsFile = join(dir, 'records.jsonl');
  const receiver = await startLiveReceiver(
    (cmd, args) => lab.spawn('collector', cmd, args),
    (cmd, args, o) => lab.exec('collector', cmd, args, o),
    [
      ...['--bind', lab.collectorIp, '--port', String(VXLAN_PORT), '--geneve-port', '0'],
      ...['--health-port', '0', '--drain-seconds', '0'],
      ...['--records', recordsFile, '--pcap-dir', pcapDir, '--pcap-per-vni'],
      ...['--address-domain', 'vni', '--no-dedup'],
    ],
  );
  // A run that fails part-way must not leave the receiver holding the port for the next test.
  const run = await (async () => {
    const outerPcap = join(dir, 'outer.pcap');
    const outer = await lab.startCapture(
      'collector',
      lab.dev.collector,
      `udp dst port ${VXLAN_PORT} or (ip and ip[6:2] & 0x1fff != 0)`,
      outerPcap,
    );
    const reference = join(dir, 'task.pcap');
    const onTask = await lab.startCapture('task', lab.dev.taskMirrored, '', reference);
    // The task has no default route in this lab: the forwarder is told its interface, and sends over
    // the collector link, whose MTU is the path MTU of its datagrams.
    const fwd = await startForward(
      lab,
      [
        ...['--to', `${lab.collectorIp}:${VXLAN_PORT}`, '--vni', String(opts.forwardVni)],
        ...['--interface', lab.dev.taskMirrored, '--mtu', String(opts.mtu), '--log-level', 'info'],
        ...(opts.captureEngine !== undefined ? ['--capture-engine', opts.captureEngine] : []),
      ],
      { command: [process.execPath, CLI_BIN, 'forward'] },
    );

    await traffic();

    const { exit, stats } = await fwd.stop();
    if (exit !== 0) throw new Error(`forward exited with ${exit}:\n${fwd.proc.stderr()}`);
    const referenceStats = await onTask.stop();
    const outerStats = await outer.stop();
    await waitFor('the receiver to read every VXLAN datagram the collector saw', async () => {
      return (await receiver.metric('datagrams_received_total')) >= outerStats.captured;
    });
    const kernelDrops = await receiver.metric('kernel_drops_total');
    if (kernelDrops !== 0) throw new Error(`the receiver's sockets dropped ${kernelDrops} datagrams`);
    return { reference, outerPcap, stats, referenceStats, outerStats };
  })().catch(async (error: unknown) => {
    await receiver.proc.stop('SIGKILL');
    throw error;
  });
  const receiverSummary = await receiver.stop();
  const { reference, outerPcap, stats, referenceStats, outerStats } = run;
  return {
    records: readJsonLines(recordsFile),
    reference,
    outerPcap,
    pcapOf: (vni) =>
      readdirSync(pcapDir)
        .filter((f) => f.includes(`-vni${vni}-`) && f.endsWith('.pcap'))
        .sort()
        .map((f) => join(pcapDir, f)),
    forwarderStats: stats,
    receiverSummary,
    referenceStats,
    outerStats,
  };
}
