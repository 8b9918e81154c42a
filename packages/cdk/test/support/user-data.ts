/** The receiver's user data and target group as CloudFormation hands them to the instance. */
import type { Template } from 'aws-cdk-lib/assertions';
import { type Json, resolveToString } from './cfn.js';

/** Stand-ins for the pseudo parameters; any other reference becomes `REF_<name>`. */
const REFS: Record<string, string> = {
  'AWS::Region': 'eu-west-1',
  'AWS::AccountId': '111111111111',
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
};

/** The CIDR of the test VPC (`testVpc` in stacks.ts), what `Fn::GetAtt <vpc>.CidrBlock` gives at deploy time. */
export const TEST_VPC_CIDR = '10.1.0.0/16';

/** The receiver launch template's user data, every intrinsic resolved as at deploy time. */
export function userDataOf(template: Template): string {
  const lt = Object.values(template.findResources('AWS::EC2::LaunchTemplate'))[0] as {
    Properties: { LaunchTemplateData: { UserData: Json } };
  };
  return resolveToString(
    lt.Properties.LaunchTemplateData.UserData,
    (name) =>
      REFS[name] ??
      (/^Vpc[0-9A-F]{8}\.CidrBlock$/.test(name)
        ? TEST_VPC_CIDR
        : `REF_${name.replace(/[^A-Za-z0-9]/g, '_')}`),
  );
}

/** The port the target group health-checks (`HealthCheckPort` of the NLB or GWLB target group). */
export function healthCheckPortOf(template: Template): number {
  const tg = Object.values(template.findResources('AWS::ElasticLoadBalancingV2::TargetGroup'))[0] as {
    Properties: { HealthCheckPort: string };
  };
  return Number(tg.Properties.HealthCheckPort);
}

/** The text of receiver.json as the boot script writes it (its quoted heredoc, so verbatim). */
export function receiverConfigTextOf(script: string): string {
  const m = /<<'FARGATE_MIRROR_CONFIG'\n([\s\S]*?)\nFARGATE_MIRROR_CONFIG\n/.exec(script);
  if (!m) throw new Error('the user data writes no receiver.json heredoc (FARGATE_MIRROR_CONFIG)');
  return m[1]!;
}
