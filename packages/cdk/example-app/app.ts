import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { FargateMirrorExampleStack } from './example-stack.ts';

// Environment-agnostic on purpose: `cdk synth` needs no credentials and no context lookups.
// `cdk deploy` takes the account and region from the CLI's credentials.
const app = new App();
new FargateMirrorExampleStack(app, 'FargateMirrorExample', {
  description: 'fargate-mirror: VPC Traffic Mirroring of ECS tasks to a receiver fleet (example app)',
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
