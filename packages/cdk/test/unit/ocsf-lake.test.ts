/**
 * OcsfLake and its wiring into the receiver fleet, asserted on the synthesized template: encryption,
 * the TLS-only bucket policy, public access blocked, lifecycle per folder, no wildcard action in any
 * Allow statement, the receivers' grant scoped to their two prefixes, the receiver.json keys, the
 * Athena workgroup and named queries (the ocsf package's own text), and the partition projection
 * template against the ocsf package's partitionPath().
 */
import { NAMED_QUERIES, OCSF_CLASSES, partitionPath } from '@fargate-mirror/ocsf';
import { resolveReceiverConfig } from '@fargate-mirror/receiver';
import { type App, Duration, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { MirrorTarget, OCSF_PARTITION_KEYS, OcsfLake, OcsfLakeEncryption } from '../../src/index.js';
import { type Json, resolveToString } from '../support/cfn.js';
import { newStack, testVpc } from '../support/stacks.js';
import { receiverConfigTextOf, userDataOf } from '../support/user-data.js';

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: Json;
  Condition?: Record<string, unknown>;
}

function build(options: { kms?: boolean; prefix?: string } = {}) {
  const stack = newStack();
  const lake = new OcsfLake(stack, 'Lake', {
    ...(options.kms ? { encryption: OcsfLakeEncryption.KMS } : {}),
    ...(options.prefix !== undefined ? { objectKeyPrefix: options.prefix } : {}),
  });
  const target = new MirrorTarget(stack, 'Target', { vpc: testVpc(stack), ocsfLake: lake });
  return { stack, lake, target, template: Template.fromStack(stack) };
}

/** Every statement of every IAM policy (identity policies, bucket policies, key policies). */
function statements(template: Template): Statement[] {
  const out: Statement[] = [];
  for (const type of ['AWS::IAM::Policy', 'AWS::S3::BucketPolicy', 'AWS::KMS::Key', 'AWS::IAM::Role']) {
    for (const r of Object.values(template.findResources(type)) as { Properties: Record<string, Json> }[]) {
      const doc = (r.Properties['PolicyDocument'] ?? r.Properties['KeyPolicy']) as unknown as
        | { Statement: Statement[] }
        | undefined;
      out.push(...(doc?.Statement ?? []));
    }
  }
  return out;
}

const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const refs = (name: string) => `REF_${name.replace(/[^A-Za-z0-9]/g, '_')}`;

function fleetPolicyStatements(template: Template): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^TargetFleetRole') }] },
  }) as Record<string, { Properties: { PolicyDocument: { Statement: Statement[] } } }>;
  return Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
}

describe('OcsfLake bucket (S3-managed keys, the default)', () => {
  const { template } = build({ prefix: 'fm/' });

  it('encrypts with SSE-S3, blocks public access and owns every object', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
  });

  it('denies every request without TLS (and below TLS 1.2) on the bucket and its objects', () => {
    const lakeBucket = Object.keys(
      template.findResources('AWS::S3::Bucket', { Properties: { OwnershipControls: Match.anyValue() } }),
    )[0]!;
    const policy = Object.values(
      template.findResources('AWS::S3::BucketPolicy', { Properties: { Bucket: { Ref: lakeBucket } } }),
    )[0] as { Properties: { PolicyDocument: { Statement: Statement[] } } };
    const denies = policy.Properties.PolicyDocument.Statement.filter((s) => s.Effect === 'Deny');
    expect(denies).toContainEqual(
      expect.objectContaining({
        Action: 's3:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        Principal: { AWS: '*' },
        Resource: [
          { 'Fn::GetAtt': [lakeBucket, 'Arn'] },
          { 'Fn::Join': ['', [{ 'Fn::GetAtt': [lakeBucket, 'Arn'] }, '/*']] },
        ],
      }),
    );
    expect(denies).toContainEqual(
      expect.objectContaining({ Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
    );
  });

  it('expires pcap after 30 days, moves records to Standard-IA at 30 and expires them at 365, results at 7', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Id: 'Pcap', Prefix: 'fm/pcap/', ExpirationInDays: 30, Status: 'Enabled' }),
          Match.objectLike({
            Id: 'Records',
            Prefix: 'fm/ocsf/',
            ExpirationInDays: 365,
            Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }],
          }),
          Match.objectLike({ Id: 'QueryResults', Prefix: 'fm/athena-results/', ExpirationInDays: 7 }),
          Match.objectLike({
            Id: 'IncompleteUploads',
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          }),
        ]),
      },
    });
  });

  it('has no wildcard action in any Allow statement of the stack', () => {
    const allows = statements(template).filter((s) => s.Effect === 'Allow');
    expect(allows.length).toBeGreaterThan(0);
    const wildcards = allows.flatMap(actions).filter((a) => a.includes('*'));
    // The CDK asset grant (the receiver bundle, read-only, acknowledged in ReceiverFleet) is the only one.
    expect([...new Set(wildcards)].sort()).toEqual(['s3:GetBucket*', 's3:GetObject*', 's3:List*']);
  });

  it('lets the receivers put objects (abort multipart uploads, head their objects) under ocsf/ and pcap/ only', () => {
    const lakeStatements = fleetPolicyStatements(template).filter((s) =>
      actions(s).some((a) => a === 's3:PutObject'),
    );
    expect(lakeStatements).toHaveLength(1);
    const [grant] = lakeStatements;
    expect(actions(grant!).sort()).toEqual(['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject']);
    const resources = (grant!.Resource as Json[]).map((r) => resolveToString(r, refs));
    expect(resources.sort()).toEqual([
      expect.stringMatching(/^REF_LakeBucket[0-9A-F]{8}_Arn\/fm\/ocsf\/\*$/),
      expect.stringMatching(/^REF_LakeBucket[0-9A-F]{8}_Arn\/fm\/pcap\/\*$/),
    ]);
    // nothing else of the role touches the lake bucket.
    const others = fleetPolicyStatements(template).filter(
      (s) => s !== grant && JSON.stringify(s.Resource).includes('LakeBucket'),
    );
    expect(others).toEqual([]);
  });

  it('writes the ocsf and s3 receiver keys: the stack region and account, the bucket and prefix', () => {
    const config = JSON.parse(receiverConfigTextOf(userDataOf(template))) as Record<string, unknown>;
    expect(config['ocsf']).toEqual({
      dir: '/var/lib/fargate-mirror/ocsf',
      region: 'eu-west-1',
      accountId: '111111111111',
    });
    expect(config['s3']).toEqual({
      bucket: expect.stringMatching(/^REF_LakeBucket[0-9A-F]{8}$/),
      prefix: 'fm/',
    });
  });

  it('defines an Athena workgroup whose settings are enforced and whose results are SSE-S3 under athena-results/', () => {
    const wg = Object.values(template.findResources('AWS::Athena::WorkGroup'))[0] as {
      Properties: { WorkGroupConfiguration: Record<string, Json> };
    };
    const config = wg.Properties.WorkGroupConfiguration;
    expect(config['EnforceWorkGroupConfiguration']).toBe(true);
    const results = config['ResultConfiguration'] as { OutputLocation: Json; EncryptionConfiguration: Json };
    expect(results.EncryptionConfiguration).toEqual({ EncryptionOption: 'SSE_S3' });
    expect(resolveToString(results.OutputLocation, refs)).toMatch(
      /^s3:\/\/REF_LakeBucket[0-9A-F]{8}\/fm\/athena-results\/$/,
    );
  });

  it('defines the named queries of @fargate-mirror/ocsf verbatim, in the lake database and workgroup', () => {
    const queries = Object.values(template.findResources('AWS::Athena::NamedQuery')) as {
      Properties: { Name: string; QueryString: string; Database: string; WorkGroup: Json };
    }[];
    expect(queries.map((q) => [q.Properties.Name, q.Properties.QueryString])).toEqual(
      NAMED_QUERIES.map((q) => [q.name, q.sql]),
    );
    const db = Object.values(template.findResources('AWS::Glue::Database'))[0] as {
      Properties: { DatabaseInput: { Name: string } };
    };
    for (const q of queries) {
      expect(q.Properties.Database).toBe(db.Properties.DatabaseInput.Name);
      expect(q.Properties.WorkGroup).toEqual({ Ref: expect.stringMatching(/^LakeWorkGroup/) });
    }
  });
});

describe('OcsfLake Glue tables', () => {
  const { template } = build({ prefix: 'fm/' });
  const tables = Object.values(template.findResources('AWS::Glue::Table')) as {
    Properties: {
      TableInput: {
        Name: string;
        Parameters: Record<string, Json>;
        PartitionKeys: { Name: string; Type: string }[];
        StorageDescriptor: { Location: Json; SerdeInfo: { SerializationLibrary: string } };
      };
    };
  }[];

  it('defines one Parquet table per OCSF class, named after the folder the receivers write', () => {
    expect(tables.map((t) => t.Properties.TableInput.Name).sort()).toEqual(Object.keys(OCSF_CLASSES).sort());
    for (const t of tables) {
      expect(t.Properties.TableInput.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe(
        'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
      );
      expect(t.Properties.TableInput.PartitionKeys).toEqual([
        { Name: 'region', Type: 'string' },
        { Name: 'accountid', Type: 'string' },
        { Name: 'eventday', Type: 'string' },
      ]);
    }
  });

  it("projects partitions with the layout of the ocsf package's partitionPath()", () => {
    const values = { region: 'eu-west-1', accountid: '123456789012', eventday: '20261121' };
    for (const t of tables) {
      const p = t.Properties.TableInput.Parameters;
      expect(p['projection.enabled']).toBe('true');
      expect(p['projection.eventday.format']).toBe('yyyyMMdd');
      const template = resolveToString(p['storage.location.template']!, () => 'BUCKET');
      // what Athena does with the template: each ${column} replaced by the partition's value.
      const location = template.replace(/\$\{(\w+)\}/g, (_, c: keyof typeof values) => values[c]);
      const name = t.Properties.TableInput.Name;
      expect(location).toBe(
        `s3://BUCKET/fm/ocsf/${partitionPath(name, 'eu-west-1', '123456789012', '20261121')}/`,
      );
      // the table's base location is the class folder the template extends.
      expect(resolveToString(t.Properties.TableInput.StorageDescriptor.Location, () => 'BUCKET')).toBe(
        `s3://BUCKET/fm/ocsf/${name}/`,
      );
      // every partition key has a projection rule, and the template names each one.
      for (const key of OCSF_PARTITION_KEYS) {
        expect(p[`projection.${key.column}.type`]).toBeDefined();
        expect(template).toContain(`${key.folder}=\${${key.column}}`);
      }
    }
  });

  it('enumerates the stack region and account, and covers the records retention in days', () => {
    const p = tables[0]!.Properties.TableInput.Parameters;
    expect(p['projection.region.values']).toEqual({ Ref: 'AWS::Region' });
    expect(p['projection.accountid.values']).toEqual({ Ref: 'AWS::AccountId' });
    expect(p['projection.eventday.range']).toBe('NOW-365DAYS,NOW+1DAYS');
  });
});

describe('OcsfLake with KMS', () => {
  const { template } = build({ kms: true });

  it('encrypts objects with its rotated key (bucket key on) and Athena results with the same key', () => {
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    const key = Object.keys(template.findResources('AWS::KMS::Key'))[0]!;
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: { 'Fn::GetAtt': [key, 'Arn'] },
            },
          },
        ],
      },
    });
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: {
        ResultConfiguration: {
          EncryptionConfiguration: { EncryptionOption: 'SSE_KMS', KmsKey: { 'Fn::GetAtt': [key, 'Arn'] } },
        },
      },
    });
  });

  it('lets the receivers generate data keys and decrypt (multipart) with the lake key only', () => {
    const kmsStatements = fleetPolicyStatements(template).filter((s) =>
      actions(s).some((a) => a.startsWith('kms:')),
    );
    expect(kmsStatements).toHaveLength(1);
    expect(actions(kmsStatements[0]!).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(kmsStatements[0]!.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^LakeKey/), 'Arn'] });
  });
});

describe('OcsfLake props', () => {
  it('fails on a bad prefix, a key without KMS, IA before 30 days and a database name with capitals, together', () => {
    const stack = newStack();
    const other = new OcsfLake(stack, 'Other', { encryption: OcsfLakeEncryption.KMS });
    let issues: readonly string[] = [];
    try {
      new OcsfLake(stack, 'Lake', {
        objectKeyPrefix: 'no-slash',
        encryptionKey: other.encryptionKey!,
        recordsInfrequentAccessAfter: Duration.days(10),
        databaseName: 'Lake',
      });
    } catch (error) {
      issues = (error as { issues: readonly string[] }).issues;
    }
    expect(issues.map((i) => i.split(':')[0])).toEqual([
      'objectKeyPrefix',
      'encryptionKey',
      'recordsInfrequentAccessAfter',
      'databaseName',
    ]);
  });

  it('leaves the receiver config and role without lake keys when no lake is given', () => {
    const stack = newStack();
    new MirrorTarget(stack, 'Target', { vpc: testVpc(stack) });
    const template = Template.fromStack(stack);
    const config = JSON.parse(receiverConfigTextOf(userDataOf(template))) as Record<string, unknown>;
    expect(config['ocsf']).toBeUndefined();
    expect(config['s3']).toBeUndefined();
    expect(fleetPolicyStatements(template).flatMap(actions)).not.toContain('s3:PutObject');
  });
});

describe('OcsfLake Security Lake custom sources', () => {
  it('registers one custom source per class with CreateCustomLogSource and removes it with DeleteCustomLogSource', () => {
    const stack = newStack();
    new OcsfLake(stack, 'Lake', { securityLakeCustomSources: true, securityLakeExternalId: 'ext-1' });
    const template = Template.fromStack(stack);
    interface SdkCall {
      service: string;
      action: string;
      parameters: {
        sourceName: string;
        eventClasses?: string[];
        configuration?: unknown;
      };
    }
    const ref = (name: string) => (name === 'AWS::AccountId' ? '111111111111' : 'CRAWLER_ROLE_ARN');
    const calls = Object.values(template.findResources('Custom::AWS')).map((r) => {
      const p = (r as { Properties: { Create: Json; Delete: Json } }).Properties;
      return {
        create: JSON.parse(resolveToString(p.Create, ref)) as SdkCall,
        del: JSON.parse(resolveToString(p.Delete, ref)) as SdkCall,
      };
    });
    expect(
      calls.map((c) => [
        c.create['action'],
        c.create['parameters'].sourceName,
        c.create['parameters'].eventClasses,
      ]),
    ).toEqual([
      ['CreateCustomLogSource', 'fargate-mirror-net', ['NETWORK_ACTIVITY']],
      ['CreateCustomLogSource', 'fargate-mirror-http', ['HTTP_ACTIVITY']],
      ['CreateCustomLogSource', 'fargate-mirror-dns', ['DNS_ACTIVITY']],
    ]);
    for (const c of calls) {
      expect(c.create.service).toBe('SecurityLake');
      expect(c.create.parameters.configuration).toEqual({
        crawlerConfiguration: { roleArn: 'CRAWLER_ROLE_ARN' },
        providerIdentity: { principal: '111111111111', externalId: 'ext-1' },
      });
      expect(c.del.action).toBe('DeleteCustomLogSource');
      expect(c.del.parameters).toEqual({ sourceName: c.create.parameters.sourceName });
    }
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'glue.amazonaws.com' } })],
      },
    });
  });

  it('fails on a source name prefix Security Lake cannot take (20 characters at most with the suffix)', () => {
    const stack = newStack();
    expect(
      () =>
        new OcsfLake(stack, 'Lake', {
          securityLakeCustomSources: true,
          securityLakeSourceNamePrefix: 'a-very-long-prefix-name',
        }),
    ).toThrow(/securityLakeSourceNamePrefix: must be 1-15/);
  });
});

describe('OcsfLake Security Lake delivery from the receivers', () => {
  const build = () => {
    const stack = newStack();
    const lake = new OcsfLake(stack, 'Lake', {
      securityLakeCustomSources: true,
      securityLakeExternalId: 'ext-1',
    });
    new MirrorTarget(stack, 'Target', { vpc: testVpc(stack), ocsfLake: lake });
    return { stack, lake };
  };
  const { stack } = build();
  const template = Template.fromStack(stack);
  const sources = Object.keys(template.findResources('Custom::AWS'));
  const roleArnOf = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'source.provider.roleArn'] });

  it("lets the receiver role assume exactly the custom sources' provider roles", () => {
    const assume = fleetPolicyStatements(template).filter((s) => actions(s).includes('sts:AssumeRole'));
    expect(assume).toHaveLength(1);
    expect(assume[0]?.Effect).toBe('Allow');
    expect(actions(assume[0] as Statement)).toEqual(['sts:AssumeRole']);
    expect(assume[0]?.Resource).toEqual(sources.map(roleArnOf));
    // No other statement anywhere allows sts:AssumeRole.
    expect(
      statements(template).filter(
        (s) => actions(s).includes('sts:AssumeRole') && s.Effect === 'Allow' && !('Principal' in s),
      ),
    ).toHaveLength(1);
  });

  it("gives the receivers' config one destination per class from the custom resources' outputs", () => {
    const config = JSON.parse(receiverConfigTextOf(userDataOf(template))) as {
      s3: { securityLake: { destinations: Record<string, unknown> } };
    };
    const byClass = Object.fromEntries(
      sources.map((id) => {
        const create = JSON.parse(
          resolveToString(
            (template.toJSON().Resources[id] as { Properties: { Create: Json } }).Properties.Create,
            () => 'X',
          ),
        ) as { parameters: { eventClasses: string[] } };
        return [create.parameters.eventClasses[0]?.toLowerCase(), id];
      }),
    );
    expect(config.s3.securityLake.destinations).toEqual(
      Object.fromEntries(
        ['network_activity', 'http_activity', 'dns_activity'].map((c) => [
          c,
          {
            location: refs(`${byClass[c]}.source.provider.location`),
            roleArn: refs(`${byClass[c]}.source.provider.roleArn`),
            externalId: 'ext-1',
          },
        ]),
      ),
    );
  });

  it("is what the receiver's own schema reads, once the outputs are deploy-time values", () => {
    const text = receiverConfigTextOf(userDataOf(template))
      .replace(
        /"REF_\w+_source_provider_location"/g,
        '"s3://aws-security-data-lake-eu-west-1-0a1b2c/ext/src/1.0"',
      )
      .replace(
        /"REF_\w+_source_provider_roleArn"/g,
        '"arn:aws:iam::111111111111:role/AmazonSecurityLake-Provider-src-eu-west-1"',
      );
    const config = resolveReceiverConfig(
      JSON.parse(text) as Record<string, unknown>,
      {},
      'the generated config',
    );
    expect(config.s3?.securityLake?.destinations.dns_activity).toEqual({
      bucket: 'aws-security-data-lake-eu-west-1-0a1b2c',
      prefix: 'ext/src/1.0/',
      roleArn: 'arn:aws:iam::111111111111:role/AmazonSecurityLake-Provider-src-eu-west-1',
      externalId: 'ext-1',
      region: undefined,
    });
    expect(Object.keys(config.s3?.securityLake?.destinations ?? {}).sort()).toEqual([
      'dns_activity',
      'http_activity',
      'network_activity',
    ]);
  });

  it("adds no cdk-nag (AwsSolutions) finding: the receivers' AssumeRole grant names its roles", () => {
    const { stack: checked } = build();
    const app = checked.node.root as App;
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    let message = '';
    try {
      app.synth();
    } catch (error) {
      message = (error as Error).message;
    }
    // The test VPC's (no flow logs) and the two a bare MirrorTarget has (the example app
    // acknowledges them), none from the lake, its custom sources or the grant.
    expect([...message.matchAll(/Acknowledge with '([^']+)'/g)].map((m) => m[1])).toEqual([
      'AwsSolutions::AwsSolutions-VPC7',
      'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      'AwsSolutions::AwsSolutions-AS3',
    ]);
  });
});
