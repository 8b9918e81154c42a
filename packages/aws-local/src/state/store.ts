import { createDefaultVpc } from './default-vpc.js';
import type { AccountState, RegionState } from './types.js';

export function emptyRegion(region: string): RegionState {
  return {
    region,
    vpcs: {},
    subnets: {},
    networkInterfaces: {},
    trafficMirrorTargets: {},
    trafficMirrorFilters: {},
    trafficMirrorFilterRules: {},
    trafficMirrorSessions: {},
    instances: {},
    clusters: {},
    taskDefinitions: {},
    tasks: {},
    services: {},
    containerInstances: {},
    clientTokens: {},
  };
}

/**
 * The account: one `RegionState` per region, created on first use with its default VPC.
 * `changed()` tells the persistence layer (if any) that something needs writing.
 */
export class Store {
  readonly state: AccountState;
  readonly #listeners: Array<() => void> = [];

  constructor(state: AccountState) {
    this.state = state;
  }

  static fresh(accountId: string): Store {
    return new Store({ formatVersion: 1, accountId, nextSeq: 1, regions: {} });
  }

  get accountId(): string {
    return this.state.accountId;
  }

  nextSeq = (): number => this.state.nextSeq++;

  region(name: string): RegionState {
    let region = this.state.regions[name];
    if (!region) {
      region = emptyRegion(name);
      createDefaultVpc(region, this.nextSeq);
      this.state.regions[name] = region;
      this.changed();
    }
    return region;
  }

  regions(): RegionState[] {
    return Object.values(this.state.regions);
  }

  onChange(listener: () => void): void {
    this.#listeners.push(listener);
  }

  changed(): void {
    for (const listener of this.#listeners) listener();
  }
}
