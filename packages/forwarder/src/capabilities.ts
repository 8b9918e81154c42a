import { readFileSync } from 'node:fs';

/** capabilities(7): CAP_NET_RAW opens AF_PACKET sockets, i.e. captures. */
export const CAP_NET_RAW = 13;

export interface CapabilitySets {
  readonly effective: bigint;
  readonly bounding: bigint;
}

/** This process's capability sets from /proc/self/status; undefined where that is unreadable. */
export function readCapabilitySets(statusText?: string): CapabilitySets | undefined {
  let text = statusText;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/status', 'utf8');
    } catch {
      return undefined;
    }
  }
  const field = (name: string) =>
    /^(\w+):\s*([0-9a-f]+)$/im.exec(text.split('\n').find((l) => l.startsWith(`${name}:`)) ?? '')?.[2];
  const eff = field('CapEff');
  const bnd = field('CapBnd');
  if (eff === undefined || bnd === undefined) return undefined;
  return { effective: BigInt(`0x${eff}`), bounding: BigInt(`0x${bnd}`) };
}

export function hasCapability(set: bigint, capability: number): boolean {
  return ((set >> BigInt(capability)) & 1n) === 1n;
}
