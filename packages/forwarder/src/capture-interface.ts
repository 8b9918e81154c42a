// Which interface carries the task's traffic. In a Fargate (awsvpc) task the network namespace has
// the task ENI and loopback: the ENI is the interface of the default route. Never `any`: its cooked
// capture would add loopback traffic and show every packet twice on some setups.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { ForwarderError, ForwarderErrorCode } from './errors.js';

export interface CaptureInterface {
  readonly name: string;
  readonly mtu: number;
  /** Hardware address (6 bytes), when the interface has one. */
  readonly mac: Uint8Array | undefined;
  /** Its IPv4 and IPv6 addresses, link-local included. */
  readonly addresses: readonly string[];
  /** How it was chosen, for the log. */
  readonly chosenBy: 'option' | 'ipv4 default route' | 'ipv6 default route' | 'first interface up';
}

const IFF_UP = 0x1;
const IFF_LOOPBACK = 0x8;
const SYS_NET = '/sys/class/net';

/** `requested` names the interface; otherwise it is found from the routes. Throws NO_INTERFACE. */
export function findCaptureInterface(requested?: string): CaptureInterface {
  if (requested === 'any') {
    throw new ForwarderError(
      ForwarderErrorCode.NO_INTERFACE,
      "--interface any is refused: capture on the task's ENI interface (the default) so each packet is seen once",
    );
  }
  if (requested !== undefined) {
    if (!existsSync(`${SYS_NET}/${requested}`)) {
      throw new ForwarderError(
        ForwarderErrorCode.NO_INTERFACE,
        `no interface named '${requested}' in this network namespace`,
      );
    }
    return describe(requested, 'option');
  }
  const v4 = defaultRouteInterfaceV4();
  if (v4 !== undefined) return describe(v4, 'ipv4 default route');
  const v6 = defaultRouteInterfaceV6();
  if (v6 !== undefined) return describe(v6, 'ipv6 default route');
  const up = firstUpInterface();
  if (up !== undefined) return describe(up, 'first interface up');
  throw new ForwarderError(
    ForwarderErrorCode.NO_INTERFACE,
    'no interface to capture on: no default route and no non-loopback interface is up (use --interface NAME)',
  );
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** /proc/net/route: Iface Destination Gateway Flags ...; destination 00000000 with RTF_UP is a default. */
function defaultRouteInterfaceV4(): string | undefined {
  const text = readText('/proc/net/route');
  if (text === undefined) return undefined;
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 8) continue;
    const [iface, destination, , flags, , , , mask] = cols;
    if (
      destination === '00000000' &&
      mask === '00000000' &&
      (Number.parseInt(flags, 16) & 1) === 1 &&
      iface !== 'lo'
    ) {
      return iface;
    }
  }
  return undefined;
}

/** /proc/net/ipv6_route: dest(32 hex) prefix ... iface last; a ::/0 route not on lo is a default. */
function defaultRouteInterfaceV6(): string | undefined {
  const text = readText('/proc/net/ipv6_route');
  if (text === undefined) return undefined;
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 10) continue;
    const iface = cols[9];
    if (/^0{32}$/.test(cols[0]) && cols[1] === '00' && iface !== 'lo') {
      const flags = Number.parseInt(cols[8], 16);
      // RTF_UP, and not RTF_REJECT (the kernel lists unreachable defaults on lo, but be sure).
      if ((flags & 1) === 1 && (flags & 0x200) === 0) return iface;
    }
  }
  return undefined;
}

function firstUpInterface(): string | undefined {
  let names: string[];
  try {
    names = readdirSync(SYS_NET);
  } catch {
    return undefined;
  }
  const candidates = names
    .map((name) => ({
      name,
      flags: Number.parseInt(readText(`${SYS_NET}/${name}/flags`)?.trim() ?? '0', 16),
      index: Number(readText(`${SYS_NET}/${name}/ifindex`)?.trim() ?? '0'),
    }))
    .filter((c) => (c.flags & IFF_UP) !== 0 && (c.flags & IFF_LOOPBACK) === 0)
    .sort((a, b) => a.index - b.index);
  return candidates[0]?.name;
}

function describe(name: string, chosenBy: CaptureInterface['chosenBy']): CaptureInterface {
  const mtu = Number(readText(`${SYS_NET}/${name}/mtu`)?.trim());
  if (!Number.isInteger(mtu) || mtu <= 0) {
    throw new ForwarderError(ForwarderErrorCode.NO_INTERFACE, `cannot read the MTU of interface '${name}'`);
  }
  const infos = networkInterfaces()[name] ?? [];
  const macText = infos.find((i) => i.mac !== '00:00:00:00:00:00')?.mac;
  const mac =
    macText === undefined
      ? undefined
      : Uint8Array.from(macText.split(':').map((h) => Number.parseInt(h, 16)));
  return { name, mtu, mac, addresses: infos.map((i) => i.address), chosenBy };
}
