// Regenerates the shipped sample captures (fixtures/, see fixtures/README.md) from a real session in
// the lab: a few curl requests, dig, openssl and ping over IPv4 and IPv6, mirrored by the kernel.
// usage: node --experimental-strip-types packages/testkit/make-sample.ts [OUT_DIR]   (root; OUT_DIR = fixtures)
import { copyFileSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from './cli.ts';
import { groundTruthFlows, groundTruthFrames, innerFramesFromOuter } from './ground-truth.ts';
import { requireRootAndTools } from './require-tools.ts';
import { fragmentCapture, truncateCapture, wrapInGeneve } from './rewrite.ts';
import { captureMirroredSession } from './session.ts';

const MAX_SAMPLE_BYTES = 150 * 1024;

async function main(): Promise<void> {
  const out = resolve(process.argv[2] ?? join(REPO_ROOT, 'fixtures'));
  requireRootAndTools(['tcpdump', 'tshark', 'dnsmasq', 'dig', 'curl', 'openssl', 'ping', 'scapy']);
  mkdirSync(out, { recursive: true });
  // Small on purpose: no 200 KB download, a 4 KB POST (a few full-size frames), two pings each.
  const session = await captureMirroredSession({
    stem: 'sample',
    traffic: { large: false, postBytes: 4_000, pingCount: 2 },
  });
  try {
    const file = (name: string) => join(out, name);
    copyFileSync(session.outerPcap, file('sample-mirror.pcap'));
    copyFileSync(session.taskPcap, file('sample-task.pcap'));
    await truncateCapture(file('sample-mirror.pcap'), file('sample-mirror-trunc128.pcap'), 128);
    await wrapInGeneve(file('sample-mirror.pcap'), file('sample-mirror-geneve.pcap'));
    await fragmentCapture(file('sample-mirror.pcap'), file('sample-mirror-frag1500.pcap'), {
      mtu: 1500,
      order: 'reverse',
    });

    // Ground truth beside the captures, computed by tshark from the mirrored interface's capture,
    // so tests without root or a lab can still compare `read` against it.
    const truth = await groundTruthFlows(file('sample-task.pcap'));
    const taskFrames = await groundTruthFrames(file('sample-task.pcap'));
    const inner = await innerFramesFromOuter(file('sample-mirror.pcap'));
    const doc = {
      description:
        'tshark ground truth for sample-mirror.pcap, from sample-task.pcap (the mirrored interface); made by scripts/make-sample-capture.sh',
      vni: session.vni,
      outer_src_ip: session.taskOuterIp,
      collector_ip: session.collectorIp,
      frames: taskFrames.length,
      inner_frames_in_outer: inner.frames.length,
      non_ip_frames: truth.nonIpFrames,
      flows: truth.flows,
      icmp: truth.icmp,
    };
    writeFileSync(file('sample-mirror.truth.json'), `${JSON.stringify(doc, null, 2)}\n`);

    const size = statSync(file('sample-mirror.pcap')).size;
    if (size > MAX_SAMPLE_BYTES)
      throw new Error(`sample-mirror.pcap is ${size} bytes, over ${MAX_SAMPLE_BYTES}`);
    console.log(
      `wrote ${out}: sample-mirror.pcap ${size} bytes, ${taskFrames.length} frames, ${truth.flows.length} TCP/UDP flows`,
    );
  } finally {
    rmSync(session.dir, { recursive: true, force: true });
  }
}

await main();
