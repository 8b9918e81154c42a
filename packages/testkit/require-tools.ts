// Tests that drive real peers must fail loudly, never skip, when the machine lacks root or a tool.
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The Debian package that provides each program the lab may use. */
const APT_PACKAGE: Record<string, string> = {
  ip: 'iproute2',
  tc: 'iproute2',
  ethtool: 'ethtool',
  tcpdump: 'tcpdump',
  tshark: 'tshark',
  editcap: 'wireshark-common',
  mergecap: 'wireshark-common',
  capinfos: 'wireshark-common',
  dnsmasq: 'dnsmasq-base',
  dig: 'dnsutils',
  curl: 'curl',
  openssl: 'openssl',
  ping: 'iputils-ping',
  tcpreplay: 'tcpreplay',
  '/usr/bin/python3': 'python3',
  scapy: 'python3-scapy',
  getcap: 'libcap2-bin',
  setpriv: 'util-linux',
};

const EXTRA_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Absolute path of `tool` on PATH (plus the sbin directories root normally has), or undefined. */
export function findTool(tool: string): string | undefined {
  const candidates = tool.includes('/')
    ? [tool]
    : [...(process.env.PATH ?? '').split(delimiter), ...EXTRA_PATH].filter(Boolean).map((d) => join(d, tool));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

function scapyImportable(): boolean {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import scapy.all'], { stdio: 'ignore', timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Throws a clear Error unless this process is root and every tool is installed. `scapy` means the
 * python3-scapy module for /usr/bin/python3. `ip`, `tc` and `ethtool` are always checked because
 * every lab needs them.
 */
export function requireRootAndTools(tools: readonly string[] = []): void {
  const problems: string[] = [];
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    problems.push(
      `needs root: this test builds network namespaces and runs tcpdump (run the suite as root, e.g. sudo npm test); uid is ${process.getuid?.()}`,
    );
  }
  problems.push(...missingTools(['ip', 'tc', 'ethtool', ...tools]));
  if (problems.length > 0) throw new Error(problems.join('\n'));
}

/** Throws a clear Error naming `what` unless this process is root (a test of a privilege, not a lab). */
export function requireRoot(what: string): void {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    throw new Error(`needs root: ${what} (run the suite as root); uid is ${process.getuid?.()}`);
  }
}

/** Throws a clear Error unless every tool is installed (for tests that read captures, no root). */
export function requireTools(tools: readonly string[]): void {
  const problems = missingTools(tools);
  if (problems.length > 0) throw new Error(problems.join('\n'));
}

function missingTools(tools: readonly string[]): string[] {
  const problems: string[] = [];
  for (const tool of new Set(tools)) {
    const present = tool === 'scapy' ? scapyImportable() : findTool(tool) !== undefined;
    if (!present) {
      problems.push(`missing tool ${tool}: apt-get install ${APT_PACKAGE[tool] ?? tool}`);
    }
  }
  return problems;
}
