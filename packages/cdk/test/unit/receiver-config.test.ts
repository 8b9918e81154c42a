/**
 * The receiver.json the boot script writes, read and validated by the receiver's own code
 * (`readConfigFile` + `resolveReceiverConfig` of @fargate-mirror/receiver, built dist), exactly as
 * `fargate-mirror receive --config ... --health-port ...` does on the instance. The receiver's schema
 * rejects unknown keys, so any drift between what the CDK writes and what the receiver reads fails here.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ReceiverConfig,
  ReceiverConfigError,
  readConfigFile,
  resolveReceiverConfig,
} from '@fargate-mirror/receiver';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { MirrorTarget, MirrorTargetType, OcsfLake } from '../../src/index.js';
import { buildAllOptions, buildDefaults, newStack, testVpc } from '../support/stacks.js';
import { healthCheckPortOf, receiverConfigTextOf, TEST_VPC_CIDR, userDataOf } from '../support/user-data.js';

const scratch = mkdtempSync(join(tmpdir(), 'fm-cdk-receiver-config-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** What the receiver makes of the generated file and the unit's flags. */
function receiverReads(
  name: string,
  script: string,
): { fileOnly: ReceiverConfig; asStarted: ReceiverConfig } {
  const path = join(scratch, `${name}.json`);
  writeFileSync(path, receiverConfigTextOf(script));
  const fromFile = readConfigFile(path);
  const healthPort = Number(/ --health-port (\d+)$/m.exec(script)?.[1]);
  return {
    fileOnly: resolveReceiverConfig(fromFile, {}, `--config ${path}`),
    asStarted: resolveReceiverConfig(fromFile, { healthPort }, `--config ${path} and flags`),
  };
}

/** The sysctl the boot script sets: the ceiling of any socket receive buffer. */
function rmemMaxOf(script: string): number {
  return Number(/^net\.core\.rmem_max = (\d+)$/m.exec(script)?.[1]);
}

/** The unit's ReadWritePaths: with ProtectSystem=strict the receiver can write nowhere else. */
function writablePathOf(script: string): string {
  const path = /^ReadWritePaths=(\S+)$/m.exec(script)?.[1];
  if (path === undefined) throw new Error('the unit has no ReadWritePaths');
  return path;
}

function expectWritesUnder(config: ReceiverConfig, dir: string): void {
  expect(config.pcapDir?.startsWith(`${dir}/`), `pcapDir ${config.pcapDir} under ${dir}`).toBe(true);
  expect(config.records?.startsWith(`${dir}/`), `records ${config.records} under ${dir}`).toBe(true);
}

describe('receiver.json against the receiver schema (defaults: NLB)', () => {
  const { template } = buildDefaults();
  const script = userDataOf(template);
  const { fileOnly, asStarted } = receiverReads('defaults', script);

  it('is valid on its own and listens where the NLB sends and checks', () => {
    expect(fileOnly.port).toBe(4789);
    expect(fileOnly.genevePort).toBe(6081);
    expect(fileOnly.healthPort).toBe(healthCheckPortOf(template));
    expect(asStarted.healthPort).toBe(healthCheckPortOf(template));
  });

  it('asks for the whole receive buffer the sysctl allows', () => {
    expect(asStarted.recvBuffer).toBe(rmemMaxOf(script));
  });

  it('writes pcap and records only where the unit lets it write', () => {
    expectWritesUnder(asStarted, writablePathOf(script));
  });

  it('accepts mirrored datagrams only from the monitored VPC (allowSources: the VPC CIDR)', () => {
    expect(asStarted.allowSources).toEqual([TEST_VPC_CIDR]);
  });

  it('names workloads through EC2/ECS (the instance role) and sends nothing to Splunk', () => {
    expect(asStarted.identity.aws).toBe(true);
    expect(asStarted.hec.url).toBeUndefined();
  });
});

describe('receiver.json against the receiver schema (all options)', () => {
  const { template } = buildAllOptions();
  const script = userDataOf(template);
  const { fileOnly, asStarted } = receiverReads('all', script);

  it('is valid, with the receiverConfig prop merged in and the custom health port', () => {
    expect(fileOnly.workers).toBe(2);
    expect(fileOnly.healthPort).toBe(healthCheckPortOf(template));
    expect(asStarted.healthPort).toBe(healthCheckPortOf(template));
    expect(asStarted.recvBuffer).toBe(rmemMaxOf(script));
    expectWritesUnder(asStarted, writablePathOf(script));
  });

  it('sends to Splunk HEC with the token file the boot script writes, spooling where the unit may write', () => {
    const tokenPath = /--output text > "\$ROOT(\S+)"/.exec(script)?.[1];
    expect(tokenPath).toBeDefined();
    expect(asStarted.hec.url).toBe('https://splunk.example.com:8088');
    expect(asStarted.hec.tokenFile).toBe(tokenPath);
    expect(asStarted.hec.spoolDir?.startsWith(`${writablePathOf(script)}/`)).toBe(true);
  });
});

describe('receiver.json with the packet-ring intake', () => {
  it('gives the unit CAP_NET_RAW, and only then, and builds the native intake it needs', () => {
    const stack = newStack();
    new MirrorTarget(stack, 'Target', {
      vpc: testVpc(stack),
      receiverConfig: { intake: 'afpacket', captureInterface: 'ens5' },
    });
    const script = userDataOf(Template.fromStack(stack));
    const { asStarted } = receiverReads('afpacket', script);
    expect(asStarted).toMatchObject({ intake: 'afpacket', captureInterface: 'ens5' });
    expect(script).toMatch(/^AmbientCapabilities=CAP_NET_RAW$/m);
    expect(script).toMatch(/^CapabilityBoundingSet=CAP_NET_RAW$/m);
    expect(script).toMatch(
      /^Environment=FARGATE_MIRROR_NATIVE_ADDON=\/opt\/fargate-mirror\/lib\/fm-recv\.node$/m,
    );
    expect(script).toMatch(/^ {2}gcc -O2 -shared -fPIC -o /m);
    // The default (sockets) needs no capability at all.
    expect(userDataOf(buildDefaults().template)).not.toMatch(/Capabilit/);
  });
});

describe('receiver.json with receiverConfig sections', () => {
  it('merges a section key by key, keeping the generated keys of that section', () => {
    const stack = newStack();
    new MirrorTarget(stack, 'Target', {
      vpc: testVpc(stack),
      receiverConfig: { identity: { clusters: ['shop'] }, logLevel: 'info' },
    });
    const { asStarted } = receiverReads('sections', userDataOf(Template.fromStack(stack)));
    expect(asStarted.identity.aws).toBe(true);
    expect(asStarted.identity.clusters).toEqual(['shop']);
    expect(asStarted.logLevel).toBe('info');
  });
});

describe('receiver.json allowSources', () => {
  it('follows monitoredCidrs, and receiverConfig.allowSources replaces it', () => {
    const stack = newStack();
    new MirrorTarget(stack, 'Target', {
      vpc: testVpc(stack),
      monitoredCidrs: ['10.2.0.0/16', '10.3.0.0/16'],
    });
    expect(receiverReads('monitored', userDataOf(Template.fromStack(stack))).asStarted.allowSources).toEqual([
      '10.2.0.0/16',
      '10.3.0.0/16',
    ]);
    const own = newStack();
    new MirrorTarget(own, 'Target', {
      vpc: testVpc(own),
      receiverConfig: { allowSources: ['192.0.2.0/24'] },
    });
    expect(receiverReads('own-allow', userDataOf(Template.fromStack(own))).asStarted.allowSources).toEqual([
      '192.0.2.0/24',
    ]);
  });
});

describe('receiver.json against the receiver schema (Gateway Load Balancer endpoint)', () => {
  const stack = newStack();
  new MirrorTarget(stack, 'Target', {
    vpc: testVpc(stack),
    targetType: MirrorTargetType.GATEWAY_LOAD_BALANCER_ENDPOINT,
  });
  const template = Template.fromStack(stack);
  const script = userDataOf(template);
  const { asStarted } = receiverReads('gwlb', script);

  it('receives GENEVE on the port the GWLB target group sends to', () => {
    const tg = Object.values(template.findResources('AWS::ElasticLoadBalancingV2::TargetGroup'))[0] as {
      Properties: { Port: number };
    };
    expect(asStarted.genevePort).toBe(tg.Properties.Port);
    expect(asStarted.healthPort).toBe(healthCheckPortOf(template));
  });

  it('accepts GENEVE only from the VPC, where the GWLB nodes are', () => {
    expect(asStarted.allowSources).toEqual([TEST_VPC_CIDR]);
  });
});

describe('the check itself', () => {
  it('fails on a key the receiver does not know (so drift cannot pass unnoticed)', () => {
    const stack = newStack();
    new MirrorTarget(stack, 'Target', { vpc: testVpc(stack), receiverConfig: { splunkUrl: 'https://x' } });
    const script = userDataOf(Template.fromStack(stack));
    let error: unknown;
    try {
      receiverReads('unknown-key', script);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ReceiverConfigError);
    expect((error as ReceiverConfigError).code).toBe('RECEIVER_CONFIG_INVALID');
    expect((error as ReceiverConfigError).problems).toEqual(['splunkUrl: unknown option']);
  });
});

describe('receiver.json with an OCSF lake, against the receiver schema', () => {
  const stack = newStack();
  const lake = new OcsfLake(stack, 'Lake', { objectKeyPrefix: 'fm/' });
  new MirrorTarget(stack, 'Target', { vpc: testVpc(stack), ocsfLake: lake });
  const script = userDataOf(Template.fromStack(stack));
  const { asStarted } = receiverReads('lake', script);

  it('writes OCSF Parquet where the unit lets it write and uploads it and the pcap to the lake bucket', () => {
    expect(asStarted.ocsf?.dir.startsWith(`${writablePathOf(script)}/`)).toBe(true);
    expect(asStarted.ocsf?.region).toBe('eu-west-1');
    expect(asStarted.ocsf?.accountId).toBe('111111111111');
    expect(asStarted.s3?.bucket).toMatch(/^REF_LakeBucket[0-9A-F]{8}$/);
    expect(asStarted.s3?.prefix).toBe('fm/');
    expect(asStarted.s3?.uploadPcap).toBe(true);
    expect(asStarted.s3?.uploadOcsf).toBe(true);
  });
});
