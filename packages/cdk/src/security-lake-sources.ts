import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledgeNag } from './private/nag.js';

/** Security Lake's names of the OCSF classes fargate-mirror writes (CreateCustomLogSource `eventClasses`). */
export const SECURITY_LAKE_EVENT_CLASSES: Readonly<Record<string, { eventClass: string; suffix: string }>> = {
  network_activity: { eventClass: 'NETWORK_ACTIVITY', suffix: 'net' },
  http_activity: { eventClass: 'HTTP_ACTIVITY', suffix: 'http' },
  dns_activity: { eventClass: 'DNS_ACTIVITY', suffix: 'dns' },
};

/** The construct id aws-cdk-lib gives the AwsCustomResource provider function (one per stack). */
const SINGLETON_ID = 'AWS679f53fac002430cb0da5b7982bd2287';

export interface SecurityLakeCustomSourcesProps {
  /** Each class's source is `<prefix>-<net|http|dns>`. */
  readonly sourceNamePrefix: string;
  /** The external id Security Lake puts in the provider role's trust policy. */
  readonly externalId: string;
  /** The OCSF class folders to register (keys of SECURITY_LAKE_EVENT_CLASSES). */
  readonly classes: readonly string[];
  /**
   * The account allowed to assume the provider roles to write.
   * @default - this stack's account
   */
  readonly providerAccountId?: string;
}

/** One registered custom source: where Security Lake wants its objects and the role that may write them. */
export interface SecurityLakeSource {
  readonly className: string;
  readonly sourceName: string;
  /** `source.provider.location` of CreateCustomLogSource: `s3://aws-security-data-lake-…/ext/<name>/…`. */
  readonly providerLocation: string;
  /** `source.provider.roleArn`: the role (trusting the provider account with the external id) that writes there. */
  readonly providerRoleArn: string;
}

/**
 * Registers OCSF classes as Amazon Security Lake custom sources, one per class. CloudFormation has no
 * resource for custom sources (AWS::SecurityLake:: has DataLake, AwsLogSource, Subscriber and
 * SubscriberNotification only), so each is an AwsCustomResource calling the Security Lake API
 * (CreateCustomLogSource on create, DeleteCustomLogSource on delete). Security Lake then owns the
 * destination: a prefix of its own bucket, its Glue table and crawler, and a provider role; the
 * Glue crawler runs as the role defined here.
 */
export class SecurityLakeCustomSources extends Construct {
  /** The role Security Lake's Glue crawlers run as. */
  readonly crawlerRole: iam.Role;
  readonly sources: readonly SecurityLakeSource[];
  /** The external id the provider roles demand of whoever assumes them. */
  readonly externalId: string;

  constructor(scope: Construct, id: string, props: SecurityLakeCustomSourcesProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.externalId = props.externalId;
    this.crawlerRole = new iam.Role(this, 'CrawlerRole', {
      assumedBy: new iam.ServicePrincipal('glue.amazonaws.com'),
      description: 'fargate-mirror: Security Lake Glue crawler of the custom sources',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSGlueServiceRole')],
    });
    // The crawler reads the custom sources' prefixes of Security Lake's bucket, whose name ends in a
    // value Security Lake chooses (aws-security-data-lake-<region>-<id>).
    const lakeBucket = `arn:${stack.partition}:s3:::aws-security-data-lake-${stack.region}-*`;
    this.crawlerRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadCustomSourcePrefixes',
        actions: ['s3:GetObject'],
        resources: [`${lakeBucket}/ext/${props.sourceNamePrefix}-*`],
      }),
    );
    this.crawlerRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ListSecurityLakeBucket',
        actions: ['s3:ListBucket'],
        resources: [lakeBucket],
      }),
    );
    acknowledgeNag(this.crawlerRole, [
      [
        'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSGlueServiceRole]',
        'Security Lake asks for AWSGlueServiceRole on the crawler role of a custom source (CreateCustomLogSource crawlerConfiguration.roleArn)',
      ],
      [
        'IAM5[Resource::arn:<AWS::Partition>:s3:::aws-security-data-lake-<AWS::Region>-*]',
        "Security Lake names its bucket with a suffix of its own; the crawler lists only buckets of Security Lake's name",
      ],
      [
        `IAM5[Resource::arn:<AWS::Partition>:s3:::aws-security-data-lake-<AWS::Region>-*/ext/${props.sourceNamePrefix}-*]`,
        "read of this construct's custom source prefixes only, in Security Lake's bucket (name suffix chosen by Security Lake)",
      ],
    ]);

    const principal = props.providerAccountId ?? stack.account;
    const sources: SecurityLakeSource[] = [];
    let previous: cr.AwsCustomResource | undefined;
    for (const className of props.classes) {
      const known = SECURITY_LAKE_EVENT_CLASSES[className];
      if (known === undefined) continue;
      const sourceName = `${props.sourceNamePrefix}-${known.suffix}`;
      const resource = new cr.AwsCustomResource(this, `Source-${className}`, {
        onCreate: {
          service: 'SecurityLake',
          action: 'CreateCustomLogSource',
          parameters: {
            sourceName,
            sourceVersion: '1.0',
            eventClasses: [known.eventClass],
            configuration: {
              crawlerConfiguration: { roleArn: this.crawlerRole.roleArn },
              providerIdentity: { principal, externalId: props.externalId },
            },
          },
          physicalResourceId: cr.PhysicalResourceId.of(sourceName),
          outputPaths: ['source.provider.location', 'source.provider.roleArn'],
        },
        onDelete: {
          service: 'SecurityLake',
          action: 'DeleteCustomLogSource',
          parameters: { sourceName },
        },
        installLatestAwsSdk: false,
        policy: cr.AwsCustomResourcePolicy.fromStatements([
          new iam.PolicyStatement({
            // Security Lake's API calls take no resource ARN of a custom source.
            actions: ['securitylake:CreateCustomLogSource', 'securitylake:DeleteCustomLogSource'],
            resources: ['*'],
          }),
          new iam.PolicyStatement({ actions: ['iam:PassRole'], resources: [this.crawlerRole.roleArn] }),
          // What Security Lake does on the caller's behalf: the provider role, the crawler, the table.
          new iam.PolicyStatement({
            actions: [
              'iam:CreateRole',
              'iam:GetRole',
              'iam:PutRolePolicy',
              'iam:DeleteRolePolicy',
              'iam:DeleteRole',
            ],
            resources: [
              `arn:${stack.partition}:iam::${stack.account}:role/AmazonSecurityLake-Provider-${props.sourceNamePrefix}-*`,
            ],
          }),
          new iam.PolicyStatement({
            actions: [
              'glue:CreateCrawler',
              'glue:DeleteCrawler',
              'glue:StopCrawlerSchedule',
              'glue:CreateDatabase',
              'glue:CreateTable',
              'lakeformation:RegisterResource',
              'lakeformation:GrantPermissions',
            ],
            resources: ['*'],
          }),
        ]),
      });
      // Security Lake serializes changes to its configuration: one registration at a time.
      if (previous !== undefined) resource.node.addDependency(previous);
      previous = resource;
      sources.push({
        className,
        sourceName,
        providerLocation: resource.getResponseField('source.provider.location'),
        providerRoleArn: resource.getResponseField('source.provider.roleArn'),
      });
    }
    this.sources = sources;
    this.#acknowledgeProvider(stack, props);
  }

  /**
   * Lets `grantee` assume exactly the registered sources' provider roles (sts:AssumeRole on their
   * ARNs, from the custom resources' outputs): what a receiver needs to write below each provider
   * location. The roles' trust policies (Security Lake's) demand the external id on top.
   */
  grantAssumeProviderRoles(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['sts:AssumeRole'],
      resourceArns: this.sources.map((s) => s.providerRoleArn),
    });
  }

  /** Each class's destination as the receiver config's `s3.securityLake.destinations` takes it. */
  destinations(): Record<string, { location: string; roleArn: string; externalId: string }> {
    return Object.fromEntries(
      this.sources.map((s) => [
        s.className,
        { location: s.providerLocation, roleArn: s.providerRoleArn, externalId: this.externalId },
      ]),
    );
  }

  #acknowledgeProvider(stack: Stack, props: SecurityLakeCustomSourcesProps): void {
    // The AwsCustomResource function is one per stack (a singleton), outside this construct.
    const provider = stack.node.tryFindChild(SINGLETON_ID);
    if (provider !== undefined) {
      acknowledgeNag(provider, [
        [
          'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          "the CDK AwsCustomResource provider function's logging policy (aws-cdk-lib custom-resources)",
        ],
        ['L1', 'the CDK AwsCustomResource provider function: its runtime is chosen by aws-cdk-lib'],
      ]);
    }
    acknowledgeNag(this, [
      [
        'IAM5[Resource::*]',
        'Security Lake CreateCustomLogSource/DeleteCustomLogSource and the Glue crawler, database and Lake Formation calls Security Lake makes for the caller take no resource ARN known before the call',
      ],
      [
        `IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/AmazonSecurityLake-Provider-${props.sourceNamePrefix}-*]`,
        'the provider role Security Lake creates is named AmazonSecurityLake-Provider-<source>-<region>',
      ],
    ]);
  }
}
