import {
  CreateTrafficMirrorSessionCommand,
  DeleteTrafficMirrorSessionCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeTrafficMirrorFiltersCommand,
  DescribeTrafficMirrorSessionsCommand,
  DescribeTrafficMirrorTargetsCommand,
  type EC2Client,
  type Filter,
  type TrafficMirrorSession,
} from '@aws-sdk/client-ec2';
import type { SessionSpec } from '../core/plan.js';
import type { SessionView } from '../core/types.js';
import { AwsCallError } from '../errors.js';
import { chunks } from '../util/chunks.js';
import { pages } from './pages.js';
import type { Ec2Port, MirrorResources, MirrorTargetType, SourceEniFacts } from './ports.js';
import { callAws, translateAwsError } from './translate-error.js';

/** EC2 accepts at most 200 values per filter; stay well below. */
const ENI_FILTER_CHUNK = 100;
const INSTANCE_ID_CHUNK = 100;

function sessionViewOf(s: TrafficMirrorSession): SessionView | undefined {
  if (!s.TrafficMirrorSessionId || !s.NetworkInterfaceId) return undefined;
  const tags: Record<string, string> = {};
  for (const t of s.Tags ?? []) if (t.Key !== undefined) tags[t.Key] = t.Value ?? '';
  return {
    sessionId: s.TrafficMirrorSessionId,
    eniId: s.NetworkInterfaceId,
    targetId: s.TrafficMirrorTargetId ?? '',
    filterId: s.TrafficMirrorFilterId ?? '',
    sessionNumber: s.SessionNumber ?? 0,
    vni: s.VirtualNetworkId,
    packetLength: s.PacketLength,
    tags,
  };
}

/** EC2 Traffic Mirroring and instance calls on the SDK v3, every list call paginated. */
export class Ec2Adapter implements Ec2Port {
  readonly #ec2: EC2Client;

  constructor(ec2: EC2Client) {
    this.#ec2 = ec2;
  }

  async listSessions(filter?: { readonly eniIds?: readonly string[] }): Promise<SessionView[]> {
    if (filter?.eniIds !== undefined) {
      if (filter.eniIds.length === 0) return [];
      const out: SessionView[] = [];
      for (const part of chunks([...new Set(filter.eniIds)], ENI_FILTER_CHUNK)) {
        out.push(...(await this.#listPages([{ Name: 'network-interface-id', Values: part }])));
      }
      return out;
    }
    return this.#listPages(undefined);
  }

  async #listPages(filters: Filter[] | undefined): Promise<SessionView[]> {
    const out: SessionView[] = [];
    const all = pages(
      (NextToken) =>
        callAws('DescribeTrafficMirrorSessions', () =>
          this.#ec2.send(
            new DescribeTrafficMirrorSessionsCommand({ Filters: filters, MaxResults: 1000, NextToken }),
          ),
        ),
      (page) => page.NextToken,
    );
    for await (const page of all) {
      for (const s of page.TrafficMirrorSessions ?? []) {
        const view = sessionViewOf(s);
        if (view) out.push(view);
      }
    }
    return out;
  }

  async createSession(spec: SessionSpec, clientToken: string): Promise<{ readonly sessionId: string }> {
    const answer = await callAws('CreateTrafficMirrorSession', () =>
      this.#ec2.send(
        new CreateTrafficMirrorSessionCommand({
          NetworkInterfaceId: spec.eniId,
          TrafficMirrorTargetId: spec.targetId,
          TrafficMirrorFilterId: spec.filterId,
          SessionNumber: spec.sessionNumber,
          VirtualNetworkId: spec.vni,
          PacketLength: spec.packetLength,
          Description: spec.description,
          ClientToken: clientToken,
          TagSpecifications: [
            {
              ResourceType: 'traffic-mirror-session',
              Tags: Object.entries(spec.tags).map(([Key, Value]) => ({ Key, Value })),
            },
          ],
        }),
      ),
    );
    const sessionId = answer.TrafficMirrorSession?.TrafficMirrorSessionId;
    if (!sessionId) {
      throw new AwsCallError(
        'AWS_REQUEST_FAILED',
        'CreateTrafficMirrorSession',
        'answer names no session id',
      );
    }
    return { sessionId };
  }

  async deleteSession(sessionId: string): Promise<'deleted' | 'already-gone'> {
    try {
      await this.#ec2.send(new DeleteTrafficMirrorSessionCommand({ TrafficMirrorSessionId: sessionId }));
      return 'deleted';
    } catch (error) {
      const translated = translateAwsError('DeleteTrafficMirrorSession', error);
      // AWS deletes a source ENI's sessions with the ENI (task stopped); a concurrent delete also
      // lands here. Either way the session is gone, which is what we wanted.
      if (translated.awsCode === 'InvalidTrafficMirrorSessionId.NotFound') return 'already-gone';
      throw translated;
    }
  }

  async describeMirrorResources(targetId: string, filterId: string): Promise<MirrorResources> {
    // By filter rather than by id: a missing id is then an empty answer, not an error to parse.
    const [targets, filters] = await Promise.all([
      callAws('DescribeTrafficMirrorTargets', () =>
        this.#ec2.send(
          new DescribeTrafficMirrorTargetsCommand({
            Filters: [{ Name: 'traffic-mirror-target-id', Values: [targetId] }],
          }),
        ),
      ),
      callAws('DescribeTrafficMirrorFilters', () =>
        this.#ec2.send(
          new DescribeTrafficMirrorFiltersCommand({
            Filters: [{ Name: 'traffic-mirror-filter-id', Values: [filterId] }],
          }),
        ),
      ),
    ]);
    const target = targets.TrafficMirrorTargets?.find((t) => t.TrafficMirrorTargetId === targetId);
    return {
      targetType: target ? ((target.Type as MirrorTargetType | undefined) ?? 'network-interface') : undefined,
      filterFound: (filters.TrafficMirrorFilters ?? []).some((f) => f.TrafficMirrorFilterId === filterId),
    };
  }

  async describeSourceEnis(eniIds: readonly string[]): Promise<Map<string, SourceEniFacts>> {
    const out = new Map<string, SourceEniFacts>();
    for (const part of chunks([...new Set(eniIds)], ENI_FILTER_CHUNK)) {
      // A filter rather than NetworkInterfaceIds: an ENI deleted meanwhile (its task stopped) is
      // simply absent instead of failing the whole call.
      const all = pages(
        (NextToken) =>
          callAws('DescribeNetworkInterfaces', () =>
            this.#ec2.send(
              new DescribeNetworkInterfacesCommand({
                Filters: [{ Name: 'network-interface-id', Values: part }],
                NextToken,
              }),
            ),
          ),
        (page) => page.NextToken,
      );
      for await (const page of all) {
        for (const n of page.NetworkInterfaces ?? []) {
          if (!n.NetworkInterfaceId) continue;
          out.set(n.NetworkInterfaceId, {
            eniId: n.NetworkInterfaceId,
            requesterManaged: n.RequesterManaged === true,
            requesterId: n.RequesterId,
            interfaceType: n.InterfaceType,
          });
        }
      }
    }
    return out;
  }

  async primaryEnis(instanceIds: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const part of chunks([...new Set(instanceIds)], INSTANCE_ID_CHUNK)) {
      const all = pages(
        // InstanceIds and MaxResults cannot be combined; NextToken is still honoured.
        (NextToken) =>
          callAws('DescribeInstances', () =>
            this.#ec2.send(new DescribeInstancesCommand({ InstanceIds: part, NextToken })),
          ),
        (page) => page.NextToken,
      );
      for await (const page of all) {
        for (const r of page.Reservations ?? []) {
          for (const i of r.Instances ?? []) {
            const primary = i.NetworkInterfaces?.find((n) => n.Attachment?.DeviceIndex === 0);
            if (i.InstanceId && primary?.NetworkInterfaceId)
              out.set(i.InstanceId, primary.NetworkInterfaceId);
          }
        }
      }
    }
    return out;
  }
}
