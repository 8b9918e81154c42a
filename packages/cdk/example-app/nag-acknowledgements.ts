import { type Stack, Validations } from 'aws-cdk-lib';

/**
 * cdk-nag AwsSolutions findings this example app accepts, each with its reason. (Findings caused
 * by the constructs' own design are acknowledged inside the constructs, with their reasons.)
 */
export function acknowledgeNagFindings(stack: Stack): void {
  Validations.of(stack).acknowledge(
    {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      reason:
        'receivers are reached with Session Manager instead of SSH; the AWS-managed policy is the documented way to enable it (sessionManagerAccess: false removes it)',
    },
    {
      id: 'AwsSolutions-AS3',
      reason:
        'the example has no operator topic to notify; scaling activity is in the Auto Scaling activity history and unhealthy receivers show in the target group health',
    },
  );
}
