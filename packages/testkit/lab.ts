// A real-traffic lab (docs/design.md §6): three network namespaces where the Linux kernel itself produces
// AWS-format mirrored traffic. `client` talks to `task` over veth; tc mirrors every frame on the
// task's client-facing interface (both directions) into a kernel VXLAN device aimed at `collector`.
//
//   client [c0] ------------------ [t0] task [t1] --------- [k0]-br0 collector
//          [c1] (mirrorClient only) -------------------------[k1]-'
//
// The collector's br0 is the single place to capture or receive the mirrored stream, whichever
// mirror points are enabled.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Capture, startTcpdump } from './capture.ts';
import { formatCommand, type RunOptions, type RunResult, run, type Started, start } from './proc.ts';

export type LabNs = 'client' | 'task' | 'collector';

export interface MirrorLabOptions {
  /** Namespace name prefix; names are `<prefix><pid>-<n>-<role>`. @default 'fmlab' */
  prefix?: string;
  /** VNI of the task's mirror session. @default 42 */
  vni?: number;
  /** Also mirror the client's interface (the other end of every conversation) with this VNI. */
  mirrorClient?: { vni: number };
  /**
   * MTU of the links that carry the VXLAN stream. @default 9000 (nothing fragments). 1500 makes the
   * kernel IP-fragment the VXLAN datagrams that carry full 1500-byte inner frames.
   */
  outerMtu?: number;
  /** Carry the VXLAN stream over IPv6 instead of IPv4. @default false */
  outerIpv6?: boolean;
}

export interface HostAddresses {
  v4: string;
  v6: string;
}

export interface MirrorLab {
  /** Real namespace names, for `ip netns exec NAME ...`. */
  readonly ns: Readonly<Record<LabNs, string>>;
  /** Addresses on the client<->task link (the mirrored conversation). */
  readonly client: HostAddresses;
  readonly task: HostAddresses;
  /** Collector address (on br0) the VXLAN stream is sent to, in the outer family. */
  readonly collectorIp: string;
  /** Collector addresses in both families. */
  readonly collector: HostAddresses;
  /** Outer source IP of the task's mirror point (as AWS uses the mirrored ENI's address). */
  readonly taskOuterIp: string;
  /** Outer source IP of the client's mirror point, when mirrorClient is set. */
  readonly clientOuterIp: string | undefined;
  readonly vni: number;
  readonly clientVni: number | undefined;
  readonly outerIpv6: boolean;
  readonly outerMtu: number;
  /** Interface names: the mirrored one, the collector's capture/receive device, and the rest. */
  readonly dev: {
    /** task side of the client link: the mirrored interface. */
    readonly taskMirrored: 't0';
    /** client side of the client link (mirrored too with mirrorClient). */
    readonly clientLink: 'c0';
    /** collector bridge: capture the outer stream here. */
    readonly collector: 'br0';
  };
  /** A private temporary directory for this lab's files, removed by close() unless keepDir. */
  readonly dir: string;
  /** Runs a program inside a namespace to completion (throws on non-zero exit unless allowFailure). */
  exec(ns: LabNs, cmd: string, args: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /** Starts a program inside a namespace; killed by PID at close(). */
  spawn(ns: LabNs, cmd: string, args: readonly string[], opts?: { env?: NodeJS.ProcessEnv }): Started;
  /** Starts tcpdump -U -w FILE on DEV in NS and resolves once it is listening. */
  startCapture(ns: LabNs, dev: string, filter: string, file: string): Promise<Capture>;
  /** Kills everything this lab started (by PID) and deletes its namespaces; safe to call twice. */
  close(opts?: { keepDir?: boolean }): Promise<void>;
}

const LINK_V4 = { client: '10.77.1.1', task: '10.77.1.2' };
const LINK_V6 = { client: 'fd00:77:1::1', task: 'fd00:77:1::2' };
const OUTER_V4 = { task: '10.77.2.1', collector: '10.77.2.2', client: '10.77.2.3' };
const OUTER_V6 = { task: 'fd00:77:2::1', collector: 'fd00:77:2::2', client: 'fd00:77:2::3' };

let labCounter = 0;
const liveNamespaces = new Set<string>();
const livePids = new Set<number>();

// If a test process exits without close(), still kill what its labs started (by PID) and remove
// their namespaces. (After a SIGKILL nothing runs: the next lab removes namespaces of dead PIDs.)
process.once('exit', () => {
  for (const pid of livePids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const name of liveNamespaces) {
    try {
      execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
    } catch {
      // best effort
    }
  }
});

/** Deletes namespaces with this prefix left behind by earlier test processes that no longer exist. */
function removeStaleNamespaces(prefix: string): void {
  let names: string[];
  try {
    names = readdirSync('/run/netns');
  } catch {
    return;
  }
  const pattern = new RegExp(`^${prefix}(\\d+)-\\d+-(client|task|collector)$`);
  for (const name of names) {
    const m = pattern.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch (e) {
      alive = (e as NodeJS.ErrnoException).code === 'EPERM';
    }
    if (!alive) {
      try {
        execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
      } catch {
        // someone else removed it
      }
    }
  }
}

export async function createMirrorLab(opts: MirrorLabOptions = {}): Promise<MirrorLab> {
  const prefix = opts.prefix ?? 'fmlab';
  removeStaleNamespaces(prefix);
  const id = `${prefix}${process.pid}-${labCounter++}`;
  const ns: Record<LabNs, string> = {
    client: `${id}-client`,
    task: `${id}-task`,
    collector: `${id}-collector`,
  };
  const vni = opts.vni ?? 42;
  const outerMtu = opts.outerMtu ?? 9000;
  const outerIpv6 = opts.outerIpv6 ?? false;
  const outer = outerIpv6 ? OUTER_V6 : OUTER_V4;
  if (outerIpv6 && outerMtu < 1514 + 70) {
    // Measured on this kernel: VXLAN over IPv6 drops datagrams above the outer MTU instead of
    // fragmenting them. Build outer IPv6 fragments from a capture instead (packages/testkit/fragment.py).
    throw new Error(
      `outerIpv6 needs outerMtu >= 1584 (got ${outerMtu}): the kernel drops, not fragments, oversize VXLAN over IPv6`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), `${id}-`));
  const started = new Set<Started>();
  const created: string[] = [];
  let closed = false;

  const ip = (args: string[]) => run('ip', args);
  const inNs = (role: LabNs, cmd: string, args: readonly string[], o?: RunOptions) =>
    run('ip', ['netns', 'exec', ns[role], cmd, ...args], o);

  const lab: MirrorLab = {
    ns,
    client: { v4: LINK_V4.client, v6: LINK_V6.client },
    task: { v4: LINK_V4.task, v6: LINK_V6.task },
    collectorIp: outer.collector,
    collector: { v4: OUTER_V4.collector, v6: OUTER_V6.collector },
    taskOuterIp: outer.task,
    clientOuterIp: opts.mirrorClient ? outer.client : undefined,
    vni,
    clientVni: opts.mirrorClient?.vni,
    outerIpv6,
    outerMtu,
    dev: { taskMirrored: 't0', clientLink: 'c0', collector: 'br0' },
    dir,
    exec: inNs,
    spawn(role, cmd, args, o) {
      if (closed) throw new Error(`lab ${id} is closed: cannot start ${formatCommand(cmd, args)}`);
      const proc = start('ip', ['netns', 'exec', ns[role], cmd, ...args], o);
      started.add(proc);
      livePids.add(proc.pid);
      void proc.exited.then(() => {
        started.delete(proc);
        livePids.delete(proc.pid);
      });
      return proc;
    },
    startCapture(role, dev, filter, file) {
      return startTcpdump((cmd, args) => lab.spawn(role, cmd, args), ns[role], dev, filter, file);
    },
    async close(closeOpts = {}) {
      if (closed) return;
      closed = true;
      // Processes first (SIGTERM, then SIGKILL), by PID: only what this lab started.
      await Promise.all([...started].map((p) => p.stop('SIGTERM', 3_000)));
      for (const name of created) {
        await run('ip', ['netns', 'del', name], { allowFailure: true });
        liveNamespaces.delete(name);
      }
      if (!closeOpts.keepDir) rmSync(dir, { recursive: true, force: true });
    },
  };

  try {
    for (const role of ['client', 'task', 'collector'] as const) {
      await ip(['netns', 'add', ns[role]]);
      created.push(ns[role]);
      liveNamespaces.add(ns[role]);
      await quietIpv6(inNs, role);
      await inNs(role, 'ip', ['link', 'set', 'lo', 'up']);
    }

    // The mirrored conversation: client c0 <-> task t0, ordinary 1500-byte Ethernet.
    await ip(['-n', ns.client, 'link', 'add', 'c0', 'type', 'veth', 'peer', 'name', 't0', 'netns', ns.task]);
    await setUpLink(inNs, 'client', 'c0', 1500, [`${LINK_V4.client}/24`], [`${LINK_V6.client}/64`]);
    await setUpLink(inNs, 'task', 't0', 1500, [`${LINK_V4.task}/24`], [`${LINK_V6.task}/64`]);
    // The VXLAN device's PMTU check updates the PMTU of the mirrored packet's own route (the clone
    // shares it), which would shrink the conversation's packets when the outer MTU is small: lock it.
    for (const role of ['client', 'task'] as const) {
      const dev = role === 'client' ? 'c0' : 't0';
      await inNs(role, 'ip', [
        'route',
        'replace',
        '10.77.1.0/24',
        'dev',
        dev,
        'src',
        LINK_V4[role],
        'mtu',
        'lock',
        '1500',
      ]);
      await inNs(role, 'ip', [
        '-6',
        'route',
        'replace',
        'fd00:77:1::/64',
        'dev',
        dev,
        'metric',
        '256',
        'mtu',
        'lock',
        '1500',
      ]);
    }

    // The collector's side: a bridge with the collector address, task t1 <-> k0 on it.
    await inNs('collector', 'ip', [
      'link',
      'add',
      'br0',
      'type',
      'bridge',
      'stp_state',
      '0',
      'mcast_snooping',
      '0',
    ]);
    await ip([
      '-n',
      ns.task,
      'link',
      'add',
      't1',
      'type',
      'veth',
      'peer',
      'name',
      'k0',
      'netns',
      ns.collector,
    ]);
    await setUpLink(inNs, 'task', 't1', outerMtu, [`${OUTER_V4.task}/24`], [`${OUTER_V6.task}/64`]);
    await setUpBridgePort(inNs, 'k0', outerMtu);
    if (opts.mirrorClient) {
      await ip([
        '-n',
        ns.client,
        'link',
        'add',
        'c1',
        'type',
        'veth',
        'peer',
        'name',
        'k1',
        'netns',
        ns.collector,
      ]);
      await setUpLink(inNs, 'client', 'c1', outerMtu, [`${OUTER_V4.client}/24`], [`${OUTER_V6.client}/64`]);
      await setUpBridgePort(inNs, 'k1', outerMtu);
    }
    await inNs('collector', 'ip', ['link', 'set', 'br0', 'mtu', String(outerMtu)]);
    await setUpLink(
      inNs,
      'collector',
      'br0',
      outerMtu,
      [`${OUTER_V4.collector}/24`],
      [`${OUTER_V6.collector}/64`],
    );

    await addMirror(inNs, 'task', 't0', 't1', vni, outer.task, outer.collector, outerIpv6);
    if (opts.mirrorClient) {
      await addMirror(
        inNs,
        'client',
        'c0',
        'c1',
        opts.mirrorClient.vni,
        outer.client,
        outer.collector,
        outerIpv6,
      );
    }
    // Neighbour entries for the outer path up front, so the first mirrored frames are not held
    // (or dropped) behind address resolution.
    await inNs('task', 'ping', ['-c', '1', '-W', '5', outer.collector]);
    if (opts.mirrorClient) await inNs('client', 'ping', ['-c', '1', '-W', '5', outer.collector]);
  } catch (e) {
    await lab.close();
    throw e;
  }
  return lab;
}

type InNs = (role: LabNs, cmd: string, args: readonly string[], o?: RunOptions) => Promise<RunResult>;

/**
 * No IPv6 chatter of its own (router solicitations, DAD, link-local MLD), so the frames on the
 * mirrored interface are the traffic a test makes plus the ARP/ND it needs.
 */
async function quietIpv6(inNs: InNs, role: LabNs): Promise<void> {
  for (const scope of ['all', 'default']) {
    await inNs(role, 'sysctl', [
      '-q',
      '-w',
      `net.ipv6.conf.${scope}.accept_ra=0`,
      `net.ipv6.conf.${scope}.router_solicitations=0`,
      `net.ipv6.conf.${scope}.accept_dad=0`,
      // Unsolicited MLD reports for the solicited-node groups still go out (they are part of IPv6);
      // 10 ms intervals get them over with while the lab is being built instead of mid-test.
      `net.ipv6.conf.${scope}.mldv1_unsolicited_report_interval=10`,
      `net.ipv6.conf.${scope}.mldv2_unsolicited_report_interval=10`,
    ]);
  }
}

async function offloadsOff(inNs: InNs, role: LabNs, dev: string): Promise<void> {
  // Without this the kernel hands 64 KB super-frames with unfinished checksums to tc and tcpdump.
  await inNs(role, 'ethtool', ['-K', dev, 'tso', 'off', 'gso', 'off', 'gro', 'off', 'tx', 'off']);
}

async function setUpLink(
  inNs: InNs,
  role: LabNs,
  dev: string,
  mtu: number,
  v4: string[],
  v6: string[],
): Promise<void> {
  // addrgenmode none: no link-local address, so no DAD/MLD/RS frames of the lab's own making.
  await inNs(role, 'ip', ['link', 'set', dev, 'addrgenmode', 'none', 'mtu', String(mtu)]);
  if (dev !== 'br0') await offloadsOff(inNs, role, dev);
  for (const a of v4) await inNs(role, 'ip', ['addr', 'add', a, 'dev', dev]);
  for (const a of v6) await inNs(role, 'ip', ['-6', 'addr', 'add', a, 'dev', dev, 'nodad']);
  await inNs(role, 'ip', ['link', 'set', dev, 'up']);
}

async function setUpBridgePort(inNs: InNs, dev: string, mtu: number): Promise<void> {
  await inNs('collector', 'ip', [
    'link',
    'set',
    dev,
    'addrgenmode',
    'none',
    'mtu',
    String(mtu),
    'master',
    'br0',
  ]);
  await offloadsOff(inNs, 'collector', dev);
  await inNs('collector', 'ip', ['link', 'set', dev, 'up']);
}

/** Kernel VXLAN device `vx0` plus tc mirred of `mirrored` (ingress and egress) into it. */
async function addMirror(
  inNs: InNs,
  role: LabNs,
  mirrored: string,
  lower: string,
  vni: number,
  local: string,
  remote: string,
  outerIpv6: boolean,
): Promise<void> {
  // Segmenting UDP tunnel traffic is an offload too: off, so VXLAN datagrams leave as the kernel built them.
  await inNs(role, 'ethtool', ['-K', lower, 'tx-udp_tnl-segmentation', 'off']);
  const vx = ['link', 'add', 'vx0', 'type', 'vxlan', 'id', String(vni), 'dstport', '4789'];
  vx.push('remote', remote, 'local', local, 'dev', lower);
  // df unset: the outer IPv4 header allows fragmentation, so a small outer MTU really fragments.
  if (!outerIpv6) vx.push('df', 'unset');
  await inNs(role, 'ip', vx);
  // vx0's own MTU (outer MTU - 50) does not limit mirred; the outer link's MTU decides fragmentation.
  await inNs(role, 'ip', ['link', 'set', 'vx0', 'addrgenmode', 'none']);
  await offloadsOff(inNs, role, 'vx0');
  await inNs(role, 'ip', ['link', 'set', 'vx0', 'up']);
  await inNs(role, 'tc', ['qdisc', 'add', 'dev', mirrored, 'clsact']);
  for (const hook of ['ingress', 'egress']) {
    await inNs(role, 'tc', [
      'filter',
      'add',
      'dev',
      mirrored,
      hook,
      'protocol',
      'all',
      'prio',
      '1',
      'u32',
      'match',
      'u32',
      '0',
      '0',
      'action',
      'mirred',
      'egress',
      'mirror',
      'dev',
      'vx0',
    ]);
  }
}
