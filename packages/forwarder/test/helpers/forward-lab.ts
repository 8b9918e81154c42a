// A lab shaped like a Fargate task: the task namespace has one interface (its "ENI", eth0) with every
// offload left ON, as a sidecar without NET_ADMIN must live with, and a default route. The client and
// the collector hang off the same bridge, so the forwarder's VXLAN leaves through the interface it
// captures on - exactly where its own output must be kept out of the capture.
//
//   client ns: br0 10.79.0.1 / fd00:79::1 (bridge; also the task's default gateway and DNS server)
//                |-- vt (veth) <-> eth0 in task ns       10.79.0.2 / fd00:79::2
//                '-- vc (veth) <-> eth0 in collector ns  10.79.0.3 / fd00:79::3
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Capture, startTcpdump } from '@fargate-mirror/testkit/capture';
import { type RunOptions, type RunResult, run, type Started, start } from '@fargate-mirror/testkit/proc';

export type ForwardLabNs = 'client' | 'task' | 'collector';

export const ADDR = {
  client: { v4: '10.79.0.1', v6: 'fd00:79::1' },
  task: { v4: '10.79.0.2', v6: 'fd00:79::2' },
  collector: { v4: '10.79.0.3', v6: 'fd00:79::3' },
} as const;

export const TASK_DEV = 'eth0';
export const COLLECTOR_DEV = 'eth0';
export const LINK_MTU = 1500;

export interface ForwardLab {
  readonly ns: Readonly<Record<ForwardLabNs, string>>;
  readonly dir: string;
  exec(ns: ForwardLabNs, cmd: string, args: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /** Starts a program in a namespace; stopped by PID at close(). */
  spawn(ns: ForwardLabNs, cmd: string, args: readonly string[], opts?: { env?: NodeJS.ProcessEnv }): Started;
  close(): Promise<void>;
}

const PREFIX = 'fmfwd';
let counter = 0;
const live = new Set<string>();

process.once('exit', () => {
  for (const name of live) {
    try {
      execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
    } catch {
      // best effort
    }
  }
});

/** Removes namespaces of earlier test processes (by our prefix) whose process is gone. */
function removeStale(): void {
  let names: string[] = [];
  try {
    names = readdirSync('/run/netns');
  } catch {
    return;
  }
  for (const name of names) {
    const m = new RegExp(`^${PREFIX}(\\d+)-\\d+-\\w+$`).exec(name);
    if (!m) continue;
    try {
      process.kill(Number(m[1]), 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') {
        try {
          execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
        } catch {
          // gone already
        }
      }
    }
  }
}

type Exec = (role: ForwardLabNs, cmd: string, args: readonly string[], o?: RunOptions) => Promise<RunResult>;

/** An interface's multicast listener reports go out within milliseconds, during the lab's set-up. */
async function quickMld(exec: Exec, role: ForwardLabNs, dev: string): Promise<void> {
  await exec(role, 'sysctl', [
    '-q',
    '-w',
    `net.ipv6.conf.${dev}.mldv1_unsolicited_report_interval=10`,
    `net.ipv6.conf.${dev}.mldv2_unsolicited_report_interval=10`,
  ]);
}

export async function createForwardLab(): Promise<ForwardLab> {
  removeStale();
  const id = `${PREFIX}${process.pid}-${counter++}`;
  const ns: Record<ForwardLabNs, string> = {
    client: `${id}-client`,
    task: `${id}-task`,
    collector: `${id}-coll`,
  };
  const dir = mkdtempSync(join(tmpdir(), `${id}-`));
  const started = new Set<Started>();
  const created: string[] = [];
  let closed = false;
  const exec = (role: ForwardLabNs, cmd: string, args: readonly string[], o?: RunOptions) =>
    run('ip', ['netns', 'exec', ns[role], cmd, ...args], o);

  const lab: ForwardLab = {
    ns,
    dir,
    exec,
    spawn(role, cmd, args, o) {
      if (closed) throw new Error(`lab ${id} is closed`);
      const p = start('ip', ['netns', 'exec', ns[role], cmd, ...args], o);
      started.add(p);
      void p.exited.then(() => started.delete(p));
      return p;
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...started].map((p) => p.stop('SIGTERM', 3_000)));
      for (const name of created) {
        await run('ip', ['netns', 'del', name], { allowFailure: true });
        live.delete(name);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };

  try {
    for (const role of ['client', 'task', 'collector'] as const) {
      await run('ip', ['netns', 'add', ns[role]]);
      created.push(ns[role]);
      live.add(ns[role]);
      await exec(role, 'ip', ['link', 'set', 'lo', 'up']);
      // No IPv6 chatter of the lab's own (router solicitations, DAD): only the test's traffic.
      await exec(role, 'sysctl', [
        '-q',
        '-w',
        'net.ipv6.conf.all.accept_dad=0',
        'net.ipv6.conf.default.accept_dad=0',
      ]);
      await exec(role, 'sysctl', [
        '-q',
        '-w',
        'net.ipv6.conf.all.router_solicitations=0',
        'net.ipv6.conf.default.router_solicitations=0',
      ]);
    }
    await exec('client', 'ip', [
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
    for (const [role, port] of [
      ['task', 'vt'],
      ['collector', 'vc'],
    ] as const) {
      await run('ip', [
        '-n',
        ns.client,
        'link',
        'add',
        port,
        'type',
        'veth',
        'peer',
        'name',
        'eth0',
        'netns',
        ns[role],
      ]);
      // addrgenmode none: no link-local addresses, so no multicast reports for them either.
      await exec('client', 'ip', ['link', 'set', port, 'addrgenmode', 'none', 'master', 'br0', 'up']);
      await exec(role, 'ip', ['link', 'set', 'eth0', 'addrgenmode', 'none']);
      await quickMld(exec, role, 'eth0');
      await quickMld(exec, 'client', port);
      await exec(role, 'ip', ['addr', 'add', `${ADDR[role].v4}/24`, 'dev', 'eth0']);
      await exec(role, 'ip', ['-6', 'addr', 'add', `${ADDR[role].v6}/64`, 'dev', 'eth0', 'nodad']);
      await exec(role, 'ip', ['link', 'set', 'eth0', 'mtu', String(LINK_MTU), 'up']);
    }
    // The collector only listens: its receive offloads off, so its capture shows datagrams as sent.
    await exec('collector', 'ethtool', ['-K', 'eth0', 'gro', 'off', 'lro', 'off'], { allowFailure: true });
    await exec('client', 'ip', ['addr', 'add', `${ADDR.client.v4}/24`, 'dev', 'br0']);
    await exec('client', 'ip', ['-6', 'addr', 'add', `${ADDR.client.v6}/64`, 'dev', 'br0', 'nodad']);
    await quickMld(exec, 'client', 'br0');
    await exec('client', 'ip', ['link', 'set', 'br0', 'up']);
    // The bridge makes itself a link-local address whatever its addrgenmode: remove it.
    await exec('client', 'ip', ['-6', 'addr', 'flush', 'dev', 'br0', 'scope', 'link']);
    // The task's ENI: a default route (how the forwarder finds it) and GRO on, like a virtio NIC, so
    // incoming super-frames occur too. TSO/GSO/checksum offloads are a veth's defaults: left on.
    await exec('task', 'ip', ['route', 'add', 'default', 'via', ADDR.client.v4]);
    await exec('task', 'ip', ['-6', 'route', 'add', 'default', 'via', ADDR.client.v6]);
    await exec('task', 'ethtool', ['-K', 'eth0', 'gro', 'on']);
    // No UDP segmentation offload, as on an ENA (Fargate's NIC): the forwarder's UDP GSO sends are cut
    // into datagrams by the task's kernel before they leave, as on the wire. (A veth would hand the
    // GSO packet to the collector whole, and its capture would show one 64 KB datagram.)
    await exec('task', 'ethtool', ['-K', 'eth0', 'tx-udp-segmentation', 'off']);
    // Permanent neighbour entries: no ARP or ND of the lab's own at random moments, so captures
    // started and stopped at different instants still hold the same packets.
    const macOf = async (role: ForwardLabNs, dev: string) =>
      (JSON.parse((await exec(role, 'ip', ['-j', 'link', 'show', dev])).stdout) as { address: string }[])[0]
        .address;
    const mac = {
      client: await macOf('client', 'br0'),
      task: await macOf('task', 'eth0'),
      collector: await macOf('collector', 'eth0'),
    };
    const neighbours: [ForwardLabNs, string, ForwardLabNs][] = [
      ['task', 'eth0', 'client'],
      ['task', 'eth0', 'collector'],
      ['client', 'br0', 'task'],
      ['client', 'br0', 'collector'],
      ['collector', 'eth0', 'task'],
      ['collector', 'eth0', 'client'],
    ];
    for (const [role, dev, peer] of neighbours) {
      for (const family of ['v4', 'v6'] as const) {
        await exec(role, 'ip', [
          'neigh',
          'replace',
          ADDR[peer][family],
          'lladdr',
          mac[peer],
          'dev',
          dev,
          'nud',
          'permanent',
        ]);
      }
    }
    await exec('task', 'ping', ['-c', '1', '-W', '5', ADDR.client.v4]);
    await exec('task', 'ping', ['-c', '1', '-W', '5', ADDR.collector.v6]);
    await new Promise((r) => setTimeout(r, 100)); // the last reports leave
  } catch (e) {
    await lab.close();
    throw e;
  }
  return lab;
}

/** A reference capture in the lab, with testkit's tcpdump settings (a block ring that holds the test). */
export async function startLabCapture(
  lab: ForwardLab,
  role: ForwardLabNs,
  dev: string,
  filter: string,
  file: string,
): Promise<Capture> {
  return startTcpdump((cmd, args) => lab.spawn(role, cmd, args), role, dev, filter, file);
}
