import { isIP } from 'node:net';

/** The ECS workload behind an address: what records name as `src_ecs_*` / `dest_ecs_*`. */
export interface Workload {
  readonly cluster: string;
  readonly service: string | null;
  readonly task_arn: string | null;
  readonly eni_id: string | null;
}

/** What a mirror point, a (VNI, outer source IP) pair, stands for. */
export interface MirrorPointIdentity {
  /** Null for forwarder traffic (no mirror session) and where the session is unknown. */
  readonly mirror_session_id: string | null;
  readonly eni_id: string | null;
  /** Every address of the mirrored ENI (primary, secondary, IPv6): direction is decided on these. */
  readonly eni_ips: readonly string[];
  readonly workload: Workload | null;
}

/** A complete picture at one moment: from a map file, or from one sweep of EC2 and ECS. */
export interface IdentitySnapshot {
  /** Keyed by `mirrorPointKey(vni, outerIp)`. */
  readonly mirrorPoints: ReadonlyMap<string, MirrorPointIdentity>;
  /** Keyed by canonical IP. */
  readonly addresses: ReadonlyMap<string, Workload>;
  /**
   * Task ENIs by each of their addresses, without a session: what a mirror point is when no session
   * matches its VNI (forwarder traffic, whose outer source is the task ENI itself).
   */
  readonly enis?: ReadonlyMap<string, MirrorPointIdentity>;
}

export function mirrorPointKey(vni: number, outerIp: string): string {
  return `${vni}/${outerIp}`;
}

/**
 * One spelling per address, the one records use: IPv4 dotted quad, IPv6 compressed lower case
 * (RFC 5952, as the WHATWG URL serialiser writes it). Undefined when `ip` is not an address.
 */
export function canonicalIp(ip: string): string | undefined {
  const kind = isIP(ip);
  if (kind === 4) return ip;
  if (kind !== 6) return undefined;
  const host = new URL(`http://[${ip}]/`).hostname;
  return host.slice(1, -1);
}

/** The service of a task from its ECS `group` (`service:NAME`), else null. */
export function serviceOfGroup(group: string | undefined): string | null {
  return group?.startsWith('service:') ? group.slice('service:'.length) : null;
}

/** The cluster name from a cluster ARN (or the name itself). */
export function clusterName(clusterArnOrName: string): string {
  const slash = clusterArnOrName.lastIndexOf('/');
  return slash >= 0 ? clusterArnOrName.slice(slash + 1) : clusterArnOrName;
}
