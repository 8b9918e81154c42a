/**
 * The emulated account's resources, as plain JSON-able records so `--state FILE` can persist
 * them as they are. Every record has a `seq` (creation order) that pagination cursors use.
 */
export interface Tag {
  key: string;
  value: string;
}

export interface Vpc {
  seq: number;
  vpcId: string;
  cidrBlock: string;
  cidrAssociationId: string;
  dhcpOptionsId: string;
  defaultSecurityGroupId: string;
  isDefault: boolean;
  tags: Tag[];
}

export interface Subnet {
  seq: number;
  subnetId: string;
  vpcId: string;
  cidrBlock: string;
  availabilityZone: string;
  availabilityZoneId: string;
  defaultForAz: boolean;
  mapPublicIpOnLaunch: boolean;
  /** Next host index to try when allocating a private address. */
  nextHost: number;
  tags: Tag[];
}

export interface EniAttachment {
  attachmentId: string;
  instanceId?: string;
  instanceOwnerId: string;
  deviceIndex: number;
  status: 'attaching' | 'attached' | 'detaching' | 'detached';
  attachTime: number;
  deleteOnTermination: boolean;
}

export interface NetworkInterface {
  seq: number;
  networkInterfaceId: string;
  subnetId: string;
  vpcId: string;
  availabilityZone: string;
  description: string;
  privateIpAddress: string;
  macAddress: string;
  interfaceType: string;
  requesterManaged: boolean;
  requesterId?: string;
  status: 'available' | 'in-use';
  groups: string[];
  sourceDestCheck: boolean;
  attachment?: EniAttachment;
  tags: Tag[];
}

export interface TrafficMirrorTarget {
  seq: number;
  trafficMirrorTargetId: string;
  type: 'network-interface' | 'network-load-balancer' | 'gateway-load-balancer-endpoint';
  networkInterfaceId?: string;
  networkLoadBalancerArn?: string;
  gatewayLoadBalancerEndpointId?: string;
  description?: string;
  tags: Tag[];
}

export interface TrafficMirrorFilter {
  seq: number;
  trafficMirrorFilterId: string;
  description?: string;
  networkServices: string[];
  tags: Tag[];
}

export interface PortRange {
  fromPort: number;
  toPort: number;
}

export interface TrafficMirrorFilterRule {
  seq: number;
  trafficMirrorFilterRuleId: string;
  trafficMirrorFilterId: string;
  trafficDirection: 'ingress' | 'egress';
  ruleNumber: number;
  ruleAction: 'accept' | 'reject';
  protocol?: number;
  destinationPortRange?: PortRange;
  sourcePortRange?: PortRange;
  destinationCidrBlock: string;
  sourceCidrBlock: string;
  description?: string;
}

export interface TrafficMirrorSession {
  seq: number;
  trafficMirrorSessionId: string;
  networkInterfaceId: string;
  trafficMirrorTargetId: string;
  trafficMirrorFilterId: string;
  packetLength?: number;
  sessionNumber: number;
  virtualNetworkId: number;
  description?: string;
  tags: Tag[];
}

export interface Instance {
  seq: number;
  instanceId: string;
  reservationId: string;
  instanceType: string;
  imageId: string;
  availabilityZone: string;
  subnetId: string;
  vpcId: string;
  privateIpAddress: string;
  primaryNetworkInterfaceId: string;
  launchTime: number;
  tags: Tag[];
}

export interface Cluster {
  seq: number;
  clusterArn: string;
  clusterName: string;
  status: 'ACTIVE' | 'INACTIVE';
  tags: Tag[];
}

export interface TaskDefinition {
  seq: number;
  taskDefinitionArn: string;
  family: string;
  revision: number;
  status: 'ACTIVE' | 'INACTIVE';
  networkMode: 'awsvpc' | 'bridge' | 'host' | 'none';
  requiresCompatibilities: string[];
  containerDefinitions: Record<string, unknown>[];
  cpu?: string;
  memory?: string;
  registeredAt: number;
  tags: Tag[];
  /** The other fields RegisterTaskDefinition took (roles, volumes, runtimePlatform, ...), returned as given. */
  extra?: Record<string, unknown>;
}

export type TaskStatus =
  | 'PROVISIONING'
  | 'PENDING'
  | 'ACTIVATING'
  | 'RUNNING'
  | 'DEACTIVATING'
  | 'STOPPING'
  | 'DEPROVISIONING'
  | 'STOPPED';

/** The task's awsvpc ENI attachment (DescribeTasks: ElasticNetworkInterface; events: eni). */
export interface TaskEniAttachment {
  id: string;
  status: 'PRECREATED' | 'ATTACHED' | 'DETACHED' | 'DELETED';
  subnetId: string;
  networkInterfaceId?: string;
  macAddress?: string;
  privateIPv4Address?: string;
  privateDnsName?: string;
}

export interface TaskContainer {
  containerArn: string;
  name: string;
  image: string;
  lastStatus: string;
  /** From the task definition (default true): when an essential container stops, the task stops. */
  essential: boolean;
  /** Set once the container is STOPPED (0 when the task stopped it). */
  exitCode?: number;
  /** Why the container stopped, when something other than the task's stop did it. */
  reason?: string;
}

export interface Task {
  seq: number;
  taskArn: string;
  clusterArn: string;
  taskDefinitionArn: string;
  launchType: 'FARGATE' | 'EC2';
  networkMode: TaskDefinition['networkMode'];
  lastStatus: TaskStatus;
  desiredStatus: 'RUNNING' | 'STOPPED';
  group: string;
  startedBy?: string;
  serviceName?: string;
  version: number;
  availabilityZone: string;
  cpu?: string;
  memory?: string;
  containerInstanceArn?: string;
  attachment?: TaskEniAttachment;
  securityGroups?: string[];
  containers: TaskContainer[];
  createdAt: number;
  pullStartedAt?: number;
  pullStoppedAt?: number;
  startedAt?: number;
  connectivityAt?: number;
  stoppingAt?: number;
  executionStoppedAt?: number;
  stoppedAt?: number;
  updatedAt: number;
  stopCode?: string;
  stoppedReason?: string;
  enableEcsManagedTags: boolean;
  tags: Tag[];
}

export interface Service {
  seq: number;
  serviceArn: string;
  serviceName: string;
  clusterArn: string;
  taskDefinitionArn: string;
  desiredCount: number;
  launchType: 'FARGATE' | 'EC2';
  status: 'ACTIVE' | 'DRAINING' | 'INACTIVE';
  deploymentId: string;
  awsvpcConfiguration?: AwsvpcConfiguration;
  enableEcsManagedTags: boolean;
  propagateTags?: string;
  createdAt: number;
  updatedAt: number;
  tags: Tag[];
}

export interface AwsvpcConfiguration {
  subnets: string[];
  securityGroups: string[];
  assignPublicIp: 'ENABLED' | 'DISABLED';
}

export interface ContainerInstance {
  seq: number;
  containerInstanceArn: string;
  clusterArn: string;
  ec2InstanceId: string;
  status: 'ACTIVE' | 'DRAINING' | 'INACTIVE';
  registeredAt: number;
  version: number;
  tags: Tag[];
}

/** What a ClientToken remembers: the call it was used with and the answer it got. */
export interface IdempotencyRecord {
  action: string;
  fingerprint: string;
  response: unknown;
  /** The traffic mirror session the call made, so a token repeated after its delete can be told apart. */
  sessionId?: string;
  /** Emulated ms of the token's first use; it is forgotten `clientTokenTtlMs` later. */
  at?: number;
}

export interface RegionState {
  region: string;
  vpcs: Record<string, Vpc>;
  subnets: Record<string, Subnet>;
  networkInterfaces: Record<string, NetworkInterface>;
  trafficMirrorTargets: Record<string, TrafficMirrorTarget>;
  trafficMirrorFilters: Record<string, TrafficMirrorFilter>;
  trafficMirrorFilterRules: Record<string, TrafficMirrorFilterRule>;
  trafficMirrorSessions: Record<string, TrafficMirrorSession>;
  instances: Record<string, Instance>;
  clusters: Record<string, Cluster>;
  taskDefinitions: Record<string, TaskDefinition>;
  tasks: Record<string, Task>;
  services: Record<string, Service>;
  containerInstances: Record<string, ContainerInstance>;
  clientTokens: Record<string, IdempotencyRecord>;
}

export interface AccountState {
  formatVersion: 1;
  accountId: string;
  nextSeq: number;
  regions: Record<string, RegionState>;
}
