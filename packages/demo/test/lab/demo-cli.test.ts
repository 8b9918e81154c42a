// `fargate-mirror demo` end to end, as a user runs it: the built CLI, both modes, one --out directory
// for both runs. As root, the demo is started as `nobody` with no capabilities, which proves the
// "without root" promise. The records are checked against what the demo wrote of its tasks
// (tasks.json, from ECS) and, for the packets, against tshark.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vniFromTaskArn } from '@fargate-mirror/forwarder';
import { CLI_BIN, readJsonLines } from '@fargate-mirror/testkit/cli';
import { type RunResult, run } from '@fargate-mirror/testkit/proc';
import { findTool, requireTools } from '@fargate-mirror/testkit/require-tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface TaskEntry {
  taskArn: string;
  service: string;
  cluster: string;
  eniId: string;
  eniIp: string;
  loopback: string;
  vnis: number[];
  mirrorSessionIds: string[];
  runningAt: string;
  stoppingAt: string | null;
}

interface DemoRun {
  result: RunResult;
  dir: string;
  records: Record<string, unknown>[];
  tasks: TaskEntry[];
}

const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * Runs the demo (as nobody, without capabilities, when the test runs as root); `mode` undefined runs
 * the default, as a new user does.
 */
async function runDemo(out: string, mode: string | undefined): Promise<DemoRun> {
  if (!existsSync(CLI_BIN)) throw new Error(`${CLI_BIN} is missing: build the CLI first (npm run build)`);
  const demoArgs = [CLI_BIN, 'demo', '--duration', '12', '--out', out, ...(mode ? ['--mode', mode] : [])];
  const [cmd, args] = asRoot
    ? [
        findTool('setpriv') ?? 'setpriv',
        [
          '--reuid=65534',
          '--regid=65534',
          '--clear-groups',
          '--inh-caps=-all',
          '--bounding-set=-all',
          process.execPath,
          ...demoArgs,
        ],
      ]
    : [process.execPath, demoArgs];
  const result = await run(cmd, args, { allowFailure: true, timeoutMs: 120_000, cwd: out });
  const dir = /^outputs: (.+)$/m.exec(result.stdout)?.[1];
  if (result.code !== 0 || dir === undefined) {
    throw new Error(
      `demo --mode ${mode ?? '(default)'} exited ${result.code}\n${result.stdout}\n${result.stderr}`,
    );
  }
  return {
    result,
    dir,
    records: readJsonLines(join(dir, 'records.jsonl')),
    tasks: JSON.parse(readFileSync(join(dir, 'tasks.json'), 'utf8')) as TaskEntry[],
  };
}

function arnsNamedBy(records: readonly Record<string, unknown>[]): Set<string> {
  const out = new Set<string>();
  for (const r of records) {
    for (const key of ['src_ecs_task_arn', 'dest_ecs_task_arn']) {
      if (typeof r[key] === 'string') out.add(r[key] as string);
    }
  }
  return out;
}

function tshark(args: readonly string[]): string {
  return execFileSync('tshark', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

describe('fargate-mirror demo', () => {
  const out = mkdtempSync(join(tmpdir(), 'fm-demo-'));
  let native: DemoRun;
  let forwarder: DemoRun;
  let nativeRecordsBefore: Buffer;

  beforeAll(async () => {
    requireTools(['tshark', ...(asRoot ? ['setpriv'] : [])]);
    // nobody must be able to create its run directories here.
    if (asRoot) chmodSync(out, 0o777);
    native = await runDemo(out, 'native');
    nativeRecordsBefore = readFileSync(join(native.dir, 'records.jsonl'));
    // The default: what AWS does today, task ENIs refused and the sidecar forwarding.
    forwarder = await runDemo(out, undefined);
  }, 240_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('exits 0, says the mode plainly and where the outputs are', () => {
    for (const [run, mode] of [
      [native, 'NATIVE:'],
      [forwarder, 'FORWARDER (the default, what AWS does today):'],
    ] as const) {
      expect(run.result.code).toBe(0);
      expect(run.result.stdout).toContain(`mode ${mode}`);
      expect(run.result.stdout).toContain(`records: ${join(run.dir, 'records.jsonl')}`);
      expect(run.result.stdout).toMatch(/^\[ *\d+s\] tasks .*\| http by service /m);
      const pcaps = readdirSync(join(run.dir, 'pcap')).filter((n) => n.endsWith('.pcap'));
      expect(pcaps.length).toBeGreaterThan(0);
    }
  });

  it('names the demo services and only tasks that existed in the run, on both sides', () => {
    for (const run of [native, forwarder]) {
      const known = new Map(run.tasks.map((t) => [t.taskArn, t]));
      expect(run.records.length).toBeGreaterThan(0);
      for (const arn of arnsNamedBy(run.records)) expect(known.has(arn)).toBe(true);
      for (const r of run.records) {
        for (const side of ['src', 'dest']) {
          const arn = r[`${side}_ecs_task_arn`];
          if (typeof arn !== 'string') continue;
          // The service and cluster named beside a task are that task's, as ECS said.
          expect(r[`${side}_ecs_service`]).toBe(known.get(arn)?.service);
          expect(r[`${side}_ecs_cluster`]).toBe('demo');
        }
      }
      const http = run.records.filter((r) => r['type'] === 'http');
      const pairs = new Set(http.map((r) => `${r['src_ecs_service']}->${r['dest_ecs_service']}`));
      expect(pairs).toEqual(new Set(['web->api', 'api->web']));
      // The secrets the clients send never reach the records.
      for (const r of http) expect(JSON.stringify(r)).not.toContain('demo-secret');
      const dns = run.records.filter((r) => r['type'] === 'dns');
      expect(dns.some((r) => r['query'] === 'api.demo.internal' && r['reply_code'] === 'NOERROR')).toBe(true);
      expect(dns.some((r) => r['query'] === 'cache.demo.internal' && r['reply_code'] === 'NXDOMAIN')).toBe(
        true,
      );
    }
  });

  it('names both tasks on every HTTP and flow record between two of them, also after one stopped', () => {
    for (const run of [native, forwarder]) {
      const byIp = new Map(run.tasks.map((t) => [t.eniIp, t]));
      const between = run.records.filter(
        (r) =>
          (r['type'] === 'http' || r['type'] === 'flow') &&
          byIp.has(r['src_ip'] as string) &&
          byIp.has(r['dest_ip'] as string),
      );
      expect(between.length).toBeGreaterThan(0);
      // The web task the scale-down stopped is among them: its last flows end (FIN, then a linger)
      // and are written after it stopped, when ECS no longer lists it.
      const [scaledDown] = run.tasks
        .filter((t) => t.service === 'web')
        .sort((a, b) => (a.stoppingAt ?? '').localeCompare(b.stoppingAt ?? ''));
      expect(
        between.some((r) => r['src_ip'] === scaledDown?.eniIp || r['dest_ip'] === scaledDown?.eniIp),
      ).toBe(true);
      const wrong = between.filter((r) => {
        const src = byIp.get(r['src_ip'] as string);
        const dest = byIp.get(r['dest_ip'] as string);
        const points = r['mirror_points'] as { eni_id: string | null }[];
        return (
          r['src_ecs_task_arn'] !== src?.taskArn ||
          r['dest_ecs_task_arn'] !== dest?.taskArn ||
          r['src_ecs_service'] !== src?.service ||
          r['dest_ecs_service'] !== dest?.service ||
          // Every mirror point is resolved to its ENI, so the direction is decided on both sides.
          points.some((p) => p.eni_id === null) ||
          (points.length === 2 && r['direction'] !== 'internal')
        );
      });
      expect(wrong.map((r) => JSON.stringify(r))).toEqual([]);
    }
  });

  it('follows the scaling: a task started mid-run appears in records, a stopped one had stopped', () => {
    for (const run of [native, forwarder]) {
      const api = run.tasks.filter((t) => t.service === 'api');
      const web = run.tasks.filter((t) => t.service === 'web');
      expect(api.length).toBe(3);
      expect(web.length).toBe(2);
      const named = arnsNamedBy(run.records);
      // The api task the scale-up started, after the first ones ran.
      const newest = [...api].sort((a, b) => a.runningAt.localeCompare(b.runningAt))[2];
      expect(newest.runningAt > web[0].runningAt).toBe(true);
      expect(named.has(newest.taskArn)).toBe(true);
      // The web task the scale-down stopped, before the run ended (when the other one stopped).
      const [first, last] = web.map((t) => t.stoppingAt ?? '').sort();
      expect(first < last).toBe(true);
      for (const t of web) expect(named.has(t.taskArn)).toBe(true);
    }
  });

  it('native: every task had a mirror session, and records carry the sessions and their VNIs', () => {
    const byVni = new Map(native.tasks.flatMap((t) => t.vnis.map((v) => [v, t] as const)));
    for (const t of native.tasks) expect(t.mirrorSessionIds.length).toBeGreaterThan(0);
    const sessions = new Set(native.tasks.flatMap((t) => t.mirrorSessionIds));
    const http = native.records.filter((r) => r['type'] === 'http');
    const pointsOf = (r: Record<string, unknown>) =>
      r['mirror_points'] as {
        vni: number;
        eni_id: string;
        mirror_session_id: string;
        outer_src_ip: string;
      }[];
    // Both ends mirrored: one record, both mirror points (a task's first and last exchanges may have
    // one, while its session is being created or after it was removed).
    expect(http.some((r) => pointsOf(r).length === 2)).toBe(true);
    for (const r of http) {
      const points = pointsOf(r);
      expect(points.length).toBeGreaterThan(0);
      for (const p of points) {
        expect(sessions.has(p.mirror_session_id)).toBe(true);
        expect(byVni.get(p.vni)?.eniId).toBe(p.eni_id);
        expect(byVni.get(p.vni)?.loopback).toBe(p.outer_src_ip);
      }
    }
    expect(native.result.stdout).not.toContain('refused:');
  });

  it('coverage per task: by its mirror session (native), by its forwarder sidecar (the default mode)', () => {
    const coverageOf = (run: DemoRun) =>
      (
        JSON.parse(readFileSync(join(run.dir, 'summary.json'), 'utf8')) as {
          coverage: { taskArn: string; state: string; covered: boolean; why: string }[];
        }
      ).coverage;
    for (const [run, state, line] of [
      [
        native,
        'mirrored',
        /^coverage: (\d+) of \1 selected task\(s\) covered \(\1 by a mirror session, 0 by the forwarder sidecar\)$/m,
      ],
      [
        forwarder,
        'sidecar',
        /^coverage: (\d+) of \1 selected task\(s\) covered \(0 by a mirror session, \1 by the forwarder sidecar\)$/m,
      ],
    ] as const) {
      expect(run.result.stdout).toMatch(line);
      const rows = coverageOf(run);
      expect(rows.length).toBeGreaterThan(0);
      const arns = new Set(run.tasks.map((t) => t.taskArn));
      for (const r of rows) {
        expect([r.state, r.covered]).toEqual([state, true]);
        expect(arns.has(r.taskArn)).toBe(true);
        expect(run.result.stdout).toContain(
          `${r.taskArn.slice(r.taskArn.lastIndexOf('/') + 1, r.taskArn.lastIndexOf('/') + 9)} `,
        );
      }
    }
    for (const r of coverageOf(forwarder))
      expect(r.why).toBe('covered by forwarder sidecar (container fargate-mirror-forwarder RUNNING)');
  });

  it('forwarder (the default): every task ENI refused, and the sidecar VNIs come from the task ARNs', () => {
    // The controller predicts AWS's refusal (NetworkInterfaceNotSupported) from the ENI itself, on the
    // task-event path too, so it never calls CreateTrafficMirrorSession for a task ENI.
    expect(forwarder.result.stdout).toMatch(
      /^refused: eni-\S+ \(\w+ [0-9a-f]{8}\): AWS refuses eni-\S+ as a mirror source \(predicted from DescribeNetworkInterfaces; CreateTrafficMirrorSession not called\): .* is requester-managed/m,
    );
    const refused = forwarder.result.stdout.match(/^refused: eni-/gm) ?? [];
    expect(refused.length).toBe(forwarder.tasks.length);
    const byLoopback = new Map(forwarder.tasks.map((t) => [t.loopback, t]));
    for (const r of forwarder.records.filter((x) => x['type'] === 'http')) {
      const points = r['mirror_points'] as {
        vni: number;
        eni_id: string;
        mirror_session_id: string | null;
        outer_src_ip: string;
      }[];
      for (const p of points) {
        const task = byLoopback.get(p.outer_src_ip);
        expect(p.mirror_session_id).toBeNull();
        expect(p.eni_id).toBe(task?.eniId);
        expect(p.vni).toBe(vniFromTaskArn(task?.taskArn ?? ''));
      }
    }
  });

  it('a second run in the same --out writes its own directory and leaves the first untouched', () => {
    expect(forwarder.dir).not.toBe(native.dir);
    expect(readFileSync(join(native.dir, 'records.jsonl')).equals(nativeRecordsBefore)).toBe(true);
    const first = new Set(native.tasks.map((t) => t.taskArn));
    for (const arn of arnsNamedBy(forwarder.records)) expect(first.has(arn)).toBe(false);
    expect(statSync(native.dir).mode & 0o077).toBe(0);
  });

  it('writes packets tshark decodes: valid checksums, the HTTP and DNS the records describe', () => {
    for (const run of [native, forwarder]) {
      const pcapDir = join(run.dir, 'pcap');
      for (const name of readdirSync(pcapDir).filter((n) => n.endsWith('.pcap'))) {
        const file = join(pcapDir, name);
        const bad = tshark([
          '-r',
          file,
          '-o',
          'ip.check_checksum:TRUE',
          '-o',
          'tcp.check_checksum:TRUE',
          '-o',
          'udp.check_checksum:TRUE',
          '-Y',
          'ip.checksum.status == 0 || tcp.checksum.status == 0 || udp.checksum.status == 0 || _ws.malformed',
        ]);
        expect(bad).toBe('');
      }
      const requests = readdirSync(pcapDir)
        .filter((n) => n.endsWith('.pcap'))
        .flatMap((n) =>
          tshark(['-r', join(pcapDir, n), '-Y', 'http.request', '-T', 'fields', '-e', 'http.host'])
            .split('\n')
            .filter(Boolean),
        );
      expect(new Set(requests)).toEqual(new Set(['api.demo.internal:8080', 'web.demo.internal']));
    }
  });
});
