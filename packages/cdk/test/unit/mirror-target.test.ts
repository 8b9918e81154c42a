import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { MirrorTarget, MirrorTargetType, PropsValidationError } from '../../src/index.js';
import { buildAllOptions, buildDefaults, newStack, testVpc } from '../support/stacks.js';
import { receiverConfigTextOf, userDataOf } from '../support/user-data.js';

const defaults = buildDefaults();
const all = buildAllOptions();

function policyStatements(template: Template, roleLogicalIdPrefix: string): Record<string, unknown>[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((p) =>
      JSON.stringify((p as { Properties: { Roles: unknown } }).Properties.Roles).includes(
        roleLogicalIdPrefix,
      ),
    )
    .flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } } }).Properties
          .PolicyDocument.Statement,
    );
}

describe('MirrorTarget (Network Load Balancer)', () => {
  it('defines an internal NLB with cross-zone load balancing and a UDP 4789 listener', () => {
    defaults.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Type: 'network',
      Scheme: 'internal',
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'load_balancing.cross_zone.enabled', Value: 'true' }]),
    });
    defaults.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 4789,
      Protocol: 'UDP',
    });
  });

  it('keeps all packets of one ENI on one receiver and drains on deregistration', () => {
    defaults.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 4789,
      Protocol: 'UDP',
      TargetType: 'instance',
      TargetGroupAttributes: Match.arrayWith([
        { Key: 'deregistration_delay.timeout_seconds', Value: '60' },
        { Key: 'deregistration_delay.connection_termination.enabled', Value: 'true' },
        { Key: 'stickiness.enabled', Value: 'true' },
        { Key: 'stickiness.type', Value: 'source_ip' },
      ]),
    });
    all.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '30' }]),
    });
  });

  it('health-checks HTTP /healthz on the receiver health port (UDP cannot be checked)', () => {
    defaults.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      HealthCheckProtocol: 'HTTP',
      HealthCheckPort: '9180',
      HealthCheckPath: '/healthz',
    });
    all.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      HealthCheckPort: '9200',
    });
  });

  it('defines the traffic mirror target on the NLB and the ASG registers with its target group', () => {
    defaults.template.hasResourceProperties('AWS::EC2::TrafficMirrorTarget', {
      NetworkLoadBalancerArn: { Ref: Match.stringLikeRegexp('^TargetLoadBalancer') },
    });
    defaults.template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      TargetGroupARNs: [{ Ref: Match.stringLikeRegexp('^TargetTargetGroup') }],
      MinSize: '2',
      MaxSize: '4',
      HealthCheckType: 'ELB',
      VPCZoneIdentifier: [
        { Ref: Match.stringLikeRegexp('PrivateSubnet1') },
        { Ref: Match.stringLikeRegexp('PrivateSubnet2') },
      ],
    });
    expect(defaults.target.forwarderDestination).toMatch(/:4789$/);
  });

  it('opens UDP 4789 only from the monitored CIDRs and the health port only from the VPC', () => {
    const ingress = (t: Template) =>
      Object.values(t.findResources('AWS::EC2::SecurityGroup'))
        .flatMap(
          (sg) =>
            (sg as { Properties: { SecurityGroupIngress?: Record<string, unknown>[] } }).Properties
              .SecurityGroupIngress ?? [],
        )
        .map((r) => [r['IpProtocol'], r['FromPort'], r['ToPort'], JSON.stringify(r['CidrIp'])]);
    expect(ingress(defaults.template)).toEqual([
      ['udp', 4789, 4789, JSON.stringify({ 'Fn::GetAtt': ['Vpc8378EB38', 'CidrBlock'] })],
      ['tcp', 9180, 9180, JSON.stringify({ 'Fn::GetAtt': ['Vpc8378EB38', 'CidrBlock'] })],
    ]);
    expect(ingress(all.template)).toEqual([
      ['udp', 4789, 4789, '"10.20.0.0/16"'],
      ['udp', 4789, 4789, '"10.30.0.0/16"'],
      ['tcp', 9200, 9200, JSON.stringify({ 'Fn::GetAtt': ['Vpc8378EB38', 'CidrBlock'] })],
    ]);
  });

  it('launches receivers with IMDSv2 only and encrypted gp3 volumes', () => {
    defaults.template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
        InstanceType: 'c6i.large',
        BlockDeviceMappings: [
          {
            DeviceName: '/dev/xvda',
            Ebs: { Encrypted: true, VolumeType: 'gp3', VolumeSize: 30, DeleteOnTermination: true },
          },
        ],
      }),
    });
    all.template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        InstanceType: 'c7i.xlarge',
        BlockDeviceMappings: [
          { DeviceName: '/dev/xvda', Ebs: Match.objectLike({ Encrypted: true, VolumeSize: 100 }) },
        ],
      }),
    });
  });

  it('lets receivers make the Describe calls identity resolution needs, and nothing that writes', () => {
    const statements = policyStatements(defaults.template, 'TargetFleetRole');
    const identity = statements.find((s) => s['Sid'] === 'ReceiverIdentityLookups');
    expect(identity).toMatchObject({
      Effect: 'Allow',
      Resource: '*',
      Action: expect.arrayContaining([
        'ec2:DescribeTrafficMirrorSessions',
        'ec2:DescribeNetworkInterfaces',
        'ecs:DescribeTasks',
        'ecs:ListTasks',
      ]),
    });
    const actions = statements.flatMap((s) => [s['Action']].flat() as string[]);
    expect(
      actions.filter((a) => !/^(ec2:Describe|ecs:Describe|ecs:List|s3:Get|s3:List|logs:)/.test(a)),
    ).toEqual([]);
    // The CloudWatch agent writes the receivers' EMF lines: streams of the fleet's metrics log group only.
    for (const s of statements.filter((st) =>
      [st['Action']].flat().some((a) => String(a).startsWith('logs:')),
    )) {
      expect([s['Action']].flat().sort()).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^logs:(CreateLogStream|PutLogEvents|DescribeLogStreams)$/),
        ]),
      );
      for (const a of [s['Action']].flat() as string[])
        expect(a).toMatch(/^logs:(CreateLogStream|PutLogEvents|DescribeLogStreams)$/);
      expect(JSON.stringify(s['Resource'])).toMatch(/TargetFleetMetricsLogGroup/);
    }
  });

  it("alarms on the receivers' own metrics over the fleet, and ships them with the CloudWatch agent", () => {
    const alarms = Object.values(defaults.template.findResources('AWS::CloudWatch::Alarm'))
      .map((a) => (a as { Properties: Record<string, unknown> }).Properties)
      .filter((a) => a['Namespace'] === 'FargateMirror/Receiver');
    expect(alarms.map((a) => `${a['MetricName']} ${a['Statistic']} >= ${a['Threshold']}`).sort()).toEqual([
      'DiskUsedPercent Maximum >= 80',
      'HecSpoolUsedPercent Maximum >= 50',
      'KernelDrops Sum >= 1',
      'RecordsDropped Sum >= 1',
    ]);
    for (const a of alarms)
      expect(a['Dimensions']).toEqual([
        { Name: 'Fleet', Value: expect.stringMatching(/TargetFleet[0-9A-F]{8}$/) },
      ]);
    const script = userDataOf(defaults.template);
    expect(script).toContain('dnf install -y amazon-cloudwatch-agent');
    expect(script).toMatch(/"file_path":"\/var\/lib\/fargate-mirror\/metrics\/emf\.jsonl"/);
    // The receivers report under the very Fleet dimension the alarms watch, to the file the agent ships.
    const config = JSON.parse(receiverConfigTextOf(script)) as {
      cloudwatch: { fleet: string; emfFile: string };
    };
    const dims = alarms[0]['Dimensions'] as { Value: string }[];
    expect(config.cloudwatch).toEqual({
      fleet: dims[0].Value,
      emfFile: '/var/lib/fargate-mirror/metrics/emf.jsonl',
    });
  });

  it('grants the receiver role read of its S3 asset and of the HEC secret', () => {
    const statements = policyStatements(all.template, 'TargetFleetRole');
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        Resource: { Ref: expect.stringMatching(/^HecToken/) },
      }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({ Action: expect.arrayContaining(['s3:GetObject*']) }),
    );
  });

  it('attaches Session Manager access by default and not when turned off', () => {
    defaults.template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'ec2.amazonaws.com' } })],
      }),
      ManagedPolicyArns: [
        Match.objectLike({
          'Fn::Join': ['', Match.arrayWith([':iam::aws:policy/AmazonSSMManagedInstanceCore'])],
        }),
      ],
    });
    all.template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'ec2.amazonaws.com' } })],
      }),
      ManagedPolicyArns: Match.absent(),
    });
  });
});

describe('MirrorTarget (Gateway Load Balancer endpoint)', () => {
  const stack = newStack();
  const vpc = testVpc(stack);
  new MirrorTarget(stack, 'Target', { vpc, targetType: MirrorTargetType.GATEWAY_LOAD_BALANCER_ENDPOINT });
  const template = Template.fromStack(stack);

  it('sends GENEVE 6081 to the fleet through a cross-zone GWLB and points the mirror target at its endpoint', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Type: 'gateway',
      LoadBalancerAttributes: [{ Key: 'load_balancing.cross_zone.enabled', Value: 'true' }],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Protocol: 'GENEVE',
      Port: 6081,
      HealthCheckProtocol: 'HTTP',
      HealthCheckPort: '9180',
      HealthCheckPath: '/healthz',
    });
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'GatewayLoadBalancer' });
    template.hasResourceProperties('AWS::EC2::TrafficMirrorTarget', {
      GatewayLoadBalancerEndpointId: { Ref: Match.stringLikeRegexp('^TargetEndpoint') },
    });
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      TargetGroupARNs: [{ Ref: Match.stringLikeRegexp('^TargetGatewayTargetGroup') }],
    });
  });

  it('opens UDP 6081, and not 4789, to the receivers', () => {
    const rules = Object.values(template.findResources('AWS::EC2::SecurityGroup')).flatMap(
      (sg) =>
        (sg as { Properties: { SecurityGroupIngress?: { FromPort: number; IpProtocol: string }[] } })
          .Properties.SecurityGroupIngress ?? [],
    );
    expect(rules.map((r) => `${r.IpProtocol}/${r.FromPort}`)).toEqual(['udp/6081', 'tcp/9180']);
  });
});

describe('MirrorTarget imports', () => {
  it('defines a target on an existing network interface', () => {
    const stack = newStack();
    const target = MirrorTarget.fromNetworkInterfaceId(stack, 'Eni', 'eni-0123456789abcdef0');
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::TrafficMirrorTarget', {
      NetworkInterfaceId: 'eni-0123456789abcdef0',
    });
    expect(stack.resolve(target.trafficMirrorTargetId)).toEqual({ Ref: expect.stringMatching(/^Eni/) });
  });

  it('fails with every bad prop reported at once', () => {
    const stack = newStack();
    const vpc = testVpc(stack);
    let error: unknown;
    try {
      new MirrorTarget(stack, 'Target', { vpc, monitoredCidrs: ['10.0.0.0/33', 'fd00::/8'] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PropsValidationError);
    expect((error as PropsValidationError).issues).toEqual([
      expect.stringMatching(/^monitoredCidrs\[0\]: must be an IPv4 CIDR.*10\.0\.0\.0\/33/),
      expect.stringMatching(/^monitoredCidrs\[1\]: must be an IPv4 CIDR.*fd00::\/8/),
    ]);
  });

  it('fails on a Splunk HEC URL without the token secret (the receiver would not start)', () => {
    const stack = newStack();
    const vpc = testVpc(stack);
    expect(
      () => new MirrorTarget(stack, 'Target', { vpc, splunkHecUrl: 'https://splunk.example.com:8088' }),
    ).toThrow(/splunkHecUrl: given without splunkHecTokenSecret/);
  });

  it('fails on fleet props with all problems listed', () => {
    const stack = newStack();
    const vpc = testVpc(stack);
    expect(
      () => new MirrorTarget(stack, 'Target', { vpc, minCapacity: 5, maxCapacity: 3, healthCheckPort: 4789 }),
    ).toThrow(
      /maxCapacity: must be at least minCapacity \(5\), but 3[\s\S]*healthCheckPort: must be a TCP port 1-65535 other than 4789 and 6081, but 4789/,
    );
  });
});
