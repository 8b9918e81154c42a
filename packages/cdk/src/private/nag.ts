import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Records why a cdk-nag (AwsSolutions) finding is accepted on `scope` and its children. The
 * constructs acknowledge only findings their own design causes, each with its reason; the
 * acknowledgements are inert metadata when cdk-nag is not in use.
 */
export function acknowledgeNag(
  scope: IConstruct,
  findings: readonly (readonly [id: string, reason: string])[],
): void {
  Validations.of(scope).acknowledge(
    ...findings.map(([id, reason]) => ({ id: `AwsSolutions-${id}`, reason })),
  );
}
