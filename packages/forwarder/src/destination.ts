import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ForwarderError, ForwarderErrorCode } from './errors.js';

export interface Destination {
  /** As given (a name or an address). */
  readonly host: string;
  /** Resolved address: the capture filter and the sockets use this. */
  readonly address: string;
  readonly family: 4 | 6;
  readonly port: number;
}

/** Splits `HOST:PORT`, `[V6]:PORT`; throws BAD_DESTINATION. */
export function parseHostPort(text: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text);
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ForwarderError(
      ForwarderErrorCode.BAD_DESTINATION,
      `--to must be HOST:PORT or [IPV6]:PORT with a port 1-65535, got '${text}'`,
    );
  }
  return { host: m[1], port };
}

/** Resolves the host once at start (an NLB name resolves to its node addresses). */
export async function resolveDestination(text: string): Promise<Destination> {
  const { host, port } = parseHostPort(text);
  const literal = isIP(host);
  if (literal !== 0) return { host, address: host, family: literal as 4 | 6, port };
  try {
    const { address, family } = await lookup(host);
    return { host, address, family: family as 4 | 6, port };
  } catch (e) {
    throw new ForwarderError(
      ForwarderErrorCode.BAD_DESTINATION,
      `--to ${text}: cannot resolve ${host}: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
}
