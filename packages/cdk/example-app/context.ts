import type { Construct } from 'constructs';

/**
 * The example app's settings, all from CDK context (cdk.json, or `-c key=value`), so one app
 * serves every account without code changes.
 */
export interface ExampleSettings {
  /** The deployment name (session owner tag). */
  readonly owner: string;
  /** CIDR of the VPC the example defines. */
  readonly vpcCidr: string;
  /** `network-load-balancer`, `gateway-load-balancer-endpoint` or `network-interface`. */
  readonly targetType: string;
  /** For `network-interface`: the receiver ENI you run. */
  readonly targetEniId: string | undefined;
  /** Monitored VPC CIDRs allowed to send VXLAN; default the example VPC's CIDR. */
  readonly monitoredCidrs: string[] | undefined;
  /** Cluster names to mirror; empty = every cluster. */
  readonly clusterNames: string[];
  /** Service names to mirror; empty = every service. */
  readonly services: string[];
  readonly mirrorAmazonDns: boolean;
  readonly splunkHecUrl: string | undefined;
  /** Name of a Secrets Manager secret whose value is the HEC token. */
  readonly splunkHecSecretName: string | undefined;
  /** Build the forwarder image from docker/forwarder (needs Docker at synth) for the demo task. */
  readonly buildForwarderImage: boolean;
  /** Or use a published forwarder image for the demo task. */
  readonly forwarderImageUri: string | undefined;
  /** Define the OCSF lake (bucket, Glue tables, Athena workgroup) and have the receivers upload to it. */
  readonly lake: boolean;
  /** With `lake`: also register the classes as Amazon Security Lake custom sources. */
  readonly securityLake: boolean;
}

function list(value: unknown): string[] {
  if (value === undefined || value === null || value === '') return [];
  if (Array.isArray(value)) return value.map(String);
  // `-c key=a,b` arrives as a string.
  return String(value)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function flag(value: unknown): boolean {
  return value === true || value === 'true';
}

function text(value: unknown): string | undefined {
  return value === undefined || value === null || value === '' ? undefined : String(value);
}

export function readSettings(scope: Construct): ExampleSettings {
  const get = (key: string): unknown => scope.node.tryGetContext(`fargate-mirror:${key}`);
  const monitored = list(get('monitoredCidrs'));
  return {
    owner: text(get('owner')) ?? 'example',
    vpcCidr: text(get('vpcCidr')) ?? '10.80.0.0/16',
    targetType: text(get('targetType')) ?? 'network-load-balancer',
    targetEniId: text(get('targetEniId')),
    monitoredCidrs: monitored.length > 0 ? monitored : undefined,
    clusterNames: list(get('clusterNames')),
    services: list(get('services')),
    mirrorAmazonDns: flag(get('mirrorAmazonDns')),
    splunkHecUrl: text(get('splunkHecUrl')),
    splunkHecSecretName: text(get('splunkHecSecretName')),
    buildForwarderImage: flag(get('buildForwarderImage')),
    forwarderImageUri: text(get('forwarderImageUri')),
    lake: flag(get('lake')),
    securityLake: flag(get('securityLake')),
  };
}
