import { DemoError } from '../errors.js';

/**
 * Hands out loopback addresses that stand for task ENI addresses. Linux routes all of 127.0.0.0/8
 * to `lo`, so any of them can be bound without root; each task gets its own, so its servers, its
 * client connections and its mirror traffic all come from one address that names it.
 */
export class LoopbackPool {
  private next = 0;

  constructor(private readonly prefix = '127.77') {}

  /** The address of the VPC resolver stand-in (the DNS responder). */
  get resolverAddress(): string {
    return `${this.prefix}.0.53`;
  }

  allocate(): string {
    const n = this.next++;
    const third = 1 + Math.floor(n / 254);
    if (third > 255)
      throw new DemoError('DEMO_LOOPBACK_EXHAUSTED', 'no loopback addresses left for demo tasks');
    return `${this.prefix}.${third}.${1 + (n % 254)}`;
  }
}
