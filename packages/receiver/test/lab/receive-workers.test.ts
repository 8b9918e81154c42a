// Flow affinity with --workers 2 on real traffic: hundreds of short TCP connections (IPv4 and IPv6
// inside, VXLAN over IPv6 outside) spread over two worker sockets by the kernel's SO_REUSEPORT hash.
// Whatever that hash did, each connection must come out as one flow record holding both directions.
// And a mirrored ENI's MAC, learned by the worker owning the flow that showed it, gives the flows of
// the other worker their direction too.
import { join } from 'node:path';
import { OUTER_CAPTURE_FILTER } from '@fargate-mirror/testkit/capture';
import { flowKey, type GroundTruthFlow, groundTruthFlows } from '@fargate-mirror/testkit/ground-truth';
import { createMirrorLab, type MirrorLab } from '@fargate-mirror/testkit/lab';
import { requireRootAndTools } from '@fargate-mirror/testkit/require-tools';
import { startHttpServer } from '@fargate-mirror/testkit/traffic';
import { FrameDecoder, flowOwner, LinkType } from '@fargate-mirror/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  countBy,
  EPHEMERAL_SIDE_PORTS,
  flowRecords,
  type InnerSpec,
  type JsonRecord,
  LOOPBACK_RECEIVE,
  metric,
  metrics,
  readJsonLines,
  requireBuiltCli,
  sendDatagrams,
  startReceive,
  stopReceive,
  vxlanDatagram,
  waitUntil,
} from '../helpers/receive-support.ts';

/** The worker of 2 that owns the inner flow of a hand-made VXLAN datagram (global address domain). */
function ownerOf(spec: InnerSpec): number {
  const datagram = vxlanDatagram(spec);
  const d = new FrameDecoder();
  d.decode(datagram, 8, datagram.length, LinkType.ETHERNET);
  return flowOwner(d, 0, 2);
}

const CONNECTIONS_PER_FAMILY = 150;
let lab: MirrorLab | undefined;

beforeAll(async () => {
  requireRootAndTools(['tcpdump', 'tshark', 'curl']);
  requireBuiltCli();
  lab = await createMirrorLab({ prefix: 'fmwork', vni: 77, outerIpv6: true });
});

afterAll(async () => {
  await lab?.close();
});

function key(r: Record<string, unknown> | GroundTruthFlow) {
  return flowKey(
    String(r.transport),
    String(r.src_ip),
    Number(r.src_port),
    String(r.dest_ip),
    Number(r.dest_port),
  );
}

describe('receive --workers 2', () => {
  it('keeps both directions of every connection in one flow record, handing packets between workers', async () => {
    const l = lab as MirrorLab;
    // Prepare
    await startHttpServer(l, 8080);
    const records = join(l.dir, 'records.jsonl');
    const receiver = await startReceive(
      ['--workers', '2', ...EPHEMERAL_SIDE_PORTS, '--records', records],
      (cmd, args) => l.spawn('collector', cmd, args),
    );
    const taskPcap = join(l.dir, 'task.pcap');
    const outer = await l.startCapture(
      'collector',
      l.dev.collector,
      OUTER_CAPTURE_FILTER,
      join(l.dir, 'outer.pcap'),
    );
    const onTask = await l.startCapture('task', l.dev.taskMirrored, 'tcp', taskPcap);

    // Act: one new TCP connection per request (Connection: close), over IPv4 and IPv6.
    for (const host of [l.task.v4, `[${l.task.v6}]`]) {
      const urls = Array.from({ length: CONNECTIONS_PER_FAMILY }, (_, i) => `http://${host}:8080/?n=${i}`);
      const r = await l.exec('client', 'curl', [
        '-sS',
        '--fail',
        '-g',
        '-H',
        'Connection: close',
        '-w',
        '%{http_code} %{num_connects}\\n',
        ...urls.flatMap((u) => ['-o', '/dev/null', u]),
      ]);
      // Every request answered, each on a connection of its own.
      expect(r.stdout.split('\n').filter((line) => line === '200 1').length).toBe(CONNECTIONS_PER_FAMILY);
    }
    expect((await onTask.stop()).droppedByKernel).toBe(0);
    expect((await outer.stop()).droppedByKernel).toBe(0);
    const truth = await groundTruthFlows(taskPcap);
    const truthPackets = truth.flows.reduce((n, f) => n + f.packets_in + f.packets_out, 0);
    await waitUntil('the receiver to count every mirrored TCP packet', async () => {
      return metric(await metrics(receiver.healthPort, l.ns.collector), 'packets_total') >= truthPackets;
    });
    const m = await metrics(receiver.healthPort, l.ns.collector);
    await stopReceive(receiver);

    // Assess: packets really crossed between workers...
    expect(metric(m, 'worker_handoffs_total')).toBeGreaterThan(0);
    expect(metric(m, 'worker_handoff_drops_total')).toBe(0);
    expect(metric(m, 'workers_alive')).toBe(2);
    // ...and still every connection is one record with exactly the packets of both directions.
    const tcp = flowRecords(readJsonLines(records)).filter((r) => r.transport === 'tcp');
    expect(truth.flows.length).toBe(2 * CONNECTIONS_PER_FAMILY);
    const perConnection = countBy(tcp, key);
    const split = tcp.filter((r) => (perConnection.get(key(r)) ?? 0) > 1);
    expect(split).toEqual([]);
    const shape = (f: JsonRecord | (typeof truth.flows)[number]) =>
      [key(f), f.src_ip, f.src_port, f.packets_out, f.bytes_out, f.packets_in, f.bytes_in].join(' ');
    expect(tcp.map(shape).sort()).toEqual(truth.flows.map(shape).sort());
    // The mirror source arrived over IPv6 and is reported as such (and IPv4 never as ::ffff:).
    expect(new Set(tcp.map((r) => (r.mirror_points as { outer_src_ip: string }[])[0].outer_src_ip))).toEqual(
      new Set([l.taskOuterIp]),
    );
  });

  it("gives every worker's flows their direction from an ENI MAC another worker learned", async () => {
    // Prepare: the mirror point is 127.0.0.1 (the datagrams' sender); a flow from 127.0.0.1 teaches
    // its MAC (the frames' source MAC), and a flow between two other addresses, owned by the other
    // worker, can only be placed by that MAC.
    const teach: InnerSpec = { vni: 7, src: '127.0.0.1', dst: '10.9.0.1', sport: 40000, dport: 53 };
    let data: InnerSpec | undefined;
    for (let port = 41000; data === undefined; port++) {
      const candidate: InnerSpec = { vni: 7, src: '10.9.0.2', dst: '10.9.0.3', sport: port, dport: 53 };
      if (ownerOf(candidate) !== ownerOf(teach)) data = candidate;
    }
    const records = join((lab as MirrorLab).dir, 'mac-records.jsonl');
    const receiver = await startReceive(['--workers', '2', ...LOOPBACK_RECEIVE, '--records', records]);

    // Act: the teaching datagram first, then (once counted) the other flow's.
    await sendDatagrams(receiver.port, [vxlanDatagram(teach)]);
    await waitUntil('the first datagram to be counted', async () => {
      return metric(await metrics(receiver.healthPort), 'packets_total') >= 1;
    });
    // The MAC crosses to the other worker as two thread messages (through the main thread), which
    // nothing counts: two seconds is far more than they take, even on a loaded machine.
    await new Promise((r) => setTimeout(r, 2000));
    await sendDatagrams(receiver.port, [vxlanDatagram(data)]);
    await waitUntil('both datagrams to be counted', async () => {
      return metric(await metrics(receiver.healthPort), 'packets_total') >= 2;
    });
    await stopReceive(receiver);

    // Assess: the other worker's flow left the ENI (its frame's source MAC is the ENI's).
    const flows = flowRecords(readJsonLines(records));
    const other = flows.find((r) => r.src_ip === data.src && r.src_port === data.sport);
    expect(other?.direction).toBe('outbound');
    expect(flows.find((r) => r.src_ip === teach.src)?.direction).toBe('outbound');
  });
});
