import {
  type IdentitySnapshot,
  type IdentitySource,
  type MirrorPointIdentity,
  mirrorPointKey,
  type Workload,
} from '@fargate-mirror/receiver';

/**
 * The receiver's own identity source (EC2 and ECS through the API, here aws-local's), seen through the
 * one thing the demo simulates: mirror traffic leaves from a loopback address that stands for a task
 * ENI's address, since an unprivileged process cannot send from 172.31.x.y. A mirror point
 * (VNI, 127.x) is answered as (VNI, the ENI address it stands for); everything else (sessions, their
 * tags, ENIs, tasks) is what the receiver resolves for real.
 */
export class LoopbackIdentitySource implements IdentitySource {
  private readonly eniIpOf = new Map<string, string>();
  private readonly loopbacksOf = new Map<string, Set<string>>();

  constructor(private readonly inner: IdentitySource) {}

  /** From now on, mirror traffic from `loopback` is the ENI address `eniIp`'s. */
  alias(loopback: string, eniIp: string): void {
    this.eniIpOf.set(loopback, eniIp);
    let set = this.loopbacksOf.get(eniIp);
    if (set === undefined) {
      set = new Set();
      this.loopbacksOf.set(eniIp, set);
    }
    set.add(loopback);
  }

  async snapshot(): Promise<IdentitySnapshot> {
    const real = await this.inner.snapshot();
    const mirrorPoints = new Map(real.mirrorPoints);
    for (const [key, identity] of real.mirrorPoints) {
      const slash = key.indexOf('/');
      const vni = Number(key.slice(0, slash));
      for (const loopback of this.loopbacksOf.get(key.slice(slash + 1)) ?? []) {
        mirrorPoints.set(mirrorPointKey(vni, loopback), identity);
      }
    }
    return { mirrorPoints, addresses: real.addresses };
  }

  lookupMirrorPoint(vni: number, outerIp: string): Promise<MirrorPointIdentity | null> {
    return this.inner.lookupMirrorPoint(vni, this.eniIpOf.get(outerIp) ?? outerIp);
  }

  lookupAddress(ip: string): Promise<Workload | null> {
    return this.inner.lookupAddress(ip);
  }
}
