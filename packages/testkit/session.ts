// One recorded mirrored session: a lab, the task's servers, captures at both ends, real client
// traffic, teardown. What remains are two files: the outer stream at the collector and, as ground
// truth, the frames on the mirrored interface itself.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CaptureStats, OUTER_CAPTURE_FILTER } from './capture.ts';
import { createMirrorLab, type MirrorLabOptions } from './lab.ts';
import { type ClientTrafficOptions, runClientTraffic, startTaskServers } from './traffic.ts';

export interface MirroredSessionOptions extends MirrorLabOptions {
  /** Directory for the two captures (created if missing). @default a new temporary directory */
  dir?: string;
  /** File name stem: `<stem>-outer.pcap` and `<stem>-task.pcap`. @default 'session' */
  stem?: string;
  traffic?: ClientTrafficOptions;
}

export interface MirroredSession {
  dir: string;
  /** The mirrored stream as the collector received it (VXLAN over UDP 4789, maybe fragmented). */
  outerPcap: string;
  /** Ground truth: every frame on the task's mirrored interface (tcpdump on t0). */
  taskPcap: string;
  vni: number;
  taskOuterIp: string;
  collectorIp: string;
  outerStats: CaptureStats;
  taskStats: CaptureStats;
}

export async function captureMirroredSession(opts: MirroredSessionOptions = {}): Promise<MirroredSession> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'fm-session-'));
  const stem = opts.stem ?? 'session';
  const outerPcap = join(dir, `${stem}-outer.pcap`);
  const taskPcap = join(dir, `${stem}-task.pcap`);
  const lab = await createMirrorLab(opts);
  try {
    const servers = await startTaskServers(lab);
    // Collector first, task second; stopped in reverse order, so the outer capture's window holds
    // the task capture's window and every mirrored copy of a captured frame.
    const outer = await lab.startCapture('collector', lab.dev.collector, OUTER_CAPTURE_FILTER, outerPcap);
    const task = await lab.startCapture('task', lab.dev.taskMirrored, '', taskPcap);
    await runClientTraffic(lab, servers, opts.traffic);
    const taskStats = await task.stop();
    const outerStats = await outer.stop();
    for (const [what, s] of [
      ['task', taskStats],
      ['collector', outerStats],
    ] as const) {
      if (s.droppedByKernel !== 0) throw new Error(`${what} capture dropped ${s.droppedByKernel} packets`);
    }
    return {
      dir,
      outerPcap,
      taskPcap,
      vni: lab.vni,
      taskOuterIp: lab.taskOuterIp,
      collectorIp: lab.collectorIp,
      outerStats,
      taskStats,
    };
  } finally {
    await lab.close();
  }
}
