// DNS on a port that is not DNS's (a resolver on 5300), recognised by content, and a UDP answer too
// large for 512 bytes (TC flag set, TXT strings kept apart): real dig against real dnsmasq in the lab,
// mirrored by the kernel, tshark (told the port is DNS) as the reference.
import { join } from 'node:path';
import { OUTER_CAPTURE_FILTER } from '@fargate-mirror/testkit/capture';
import { readCapture } from '@fargate-mirror/testkit/cli';
import { createMirrorLab, type MirrorLab } from '@fargate-mirror/testkit/lab';
import { run } from '@fargate-mirror/testkit/proc';
import { requireRootAndTools } from '@fargate-mirror/testkit/require-tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const PORT = 5300;
// Twelve 60-byte strings: about 750 bytes of answer, over the 512 bytes of DNS over UDP without EDNS.
const STRINGS = Array.from({ length: 12 }, (_, i) => `s${String(i).padStart(2, '0')}-${'x'.repeat(56)}`);

describe('DNS on any port, and truncated UDP answers', () => {
  let lab: MirrorLab;
  let records: Record<string, unknown>[];
  let taskPcap: string;

  beforeAll(async () => {
    requireRootAndTools(['tcpdump', 'tshark', 'dnsmasq', 'dig']);
    lab = await createMirrorLab();
    const dns = lab.spawn('task', 'dnsmasq', [
      '--no-daemon',
      '--conf-file=/dev/null',
      '--no-resolv',
      '--no-hosts',
      '--bind-interfaces',
      `--port=${PORT}`,
      `--listen-address=${lab.task.v4}`,
      `--pid-file=${join(lab.dir, 'dnsmasq.pid')}`,
      '--log-facility=-',
      '--host-record=api.svc.local,10.77.9.10',
      `--txt-record=big.svc.local,${STRINGS.join(',')}`,
      '--txt-record=two.svc.local,first string,second',
      '--local=/svc.local/',
    ]);
    await dns.waitForOutput('started, version');
    const outerPcap = join(lab.dir, 'outer.pcap');
    taskPcap = join(lab.dir, 'task.pcap');
    const outer = await lab.startCapture('collector', lab.dev.collector, OUTER_CAPTURE_FILTER, outerPcap);
    const task = await lab.startCapture('task', lab.dev.taskMirrored, '', taskPcap);
    const dig = (args: string[]) =>
      lab.exec('client', 'dig', [`@${lab.task.v4}`, '-p', String(PORT), '+time=3', '+tries=1', ...args]);
    expect((await dig(['api.svc.local', 'A'])).stdout).toContain('10.77.9.10');
    expect((await dig(['+short', 'two.svc.local', 'TXT'])).stdout.trim()).toBe('"first string" "second"');
    // No EDNS and +ignore: dnsmasq answers with what fits in 512 bytes and the TC flag; dig keeps it.
    expect((await dig(['+noedns', '+ignore', 'big.svc.local', 'TXT'])).stdout).toMatch(/flags: [^;]*\btc\b/);
    await task.stop();
    await outer.stop();
    records = (await readCapture(outerPcap, lab.dir, 'dns-any-port')).records;
  });

  afterAll(async () => {
    await lab?.close();
  });

  it('has a dns record for every answer tshark finds on port 5300, with its TC flag', async () => {
    const out = await run('tshark', [
      '-r',
      taskPcap,
      '-n',
      '-d',
      `udp.port==${PORT},dns`,
      '-Y',
      'dns.flags.response == 1',
      '-T',
      'fields',
      '-e',
      'dns.qry.name',
      '-e',
      'dns.flags.truncated',
    ]);
    const truth = out.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('\t'))
      .map(([name, tc]) => ({ query: name, response_truncated: tc === '1' || tc === 'True' }))
      .sort((a, b) => a.query.localeCompare(b.query));
    expect(truth).toHaveLength(3);
    const got = records
      .filter((r) => r['type'] === 'dns')
      .map((r) => ({ query: r['query'], response_truncated: r['response_truncated'] }))
      .sort((a, b) => String(a.query).localeCompare(String(b.query)));
    expect(got).toEqual(truth);
    expect(got.find((r) => r.query === 'big.svc.local')?.response_truncated).toBe(true);
  });

  it('keeps the TXT strings apart, as dig prints them', () => {
    const txt = records.find((r) => r['type'] === 'dns' && r['query'] === 'two.svc.local');
    expect(txt?.['answer']).toEqual(['"first string" "second"']);
    expect(txt?.['response_truncated']).toBe(false);
  });

  it('labels the flow dns by content, not by port', () => {
    const flows = records.filter((r) => r['type'] === 'flow' && r['dest_port'] === PORT);
    expect(flows.length).toBeGreaterThan(0);
    for (const f of flows) expect(f['app']).toBe('dns');
  });
});
