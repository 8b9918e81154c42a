// A task metadata v4 answer for tests.
// Shaped like the "Task metadata v4 JSON response" example of the ECS developer guide (Fargate).
export const TASK_ARN = 'arn:aws:ecs:us-west-2:111122223333:task/default/e9028f8d5d8e4f258373e7b93ce9a3c3';
export const TASK_RESPONSE = {
  Cluster: 'arn:aws:ecs:us-west-2:111122223333:cluster/default',
  TaskARN: TASK_ARN,
  Family: 'curltest',
  Revision: '3',
  DesiredStatus: 'RUNNING',
  KnownStatus: 'RUNNING',
  Limits: { CPU: 0.25, Memory: 512 },
  AvailabilityZone: 'us-west-2d',
  LaunchType: 'FARGATE',
  Containers: [
    {
      DockerId: 'e9028f8d5d8e4f258373e7b93ce9a3c3-2495160603',
      Name: 'curl',
      Networks: [
        {
          NetworkMode: 'awsvpc',
          IPv4Addresses: ['10.0.2.61'],
          AttachmentIndex: 0,
          MACAddress: '0e:10:e2:01:bd:91',
          IPv4SubnetCIDRBlock: '10.0.2.0/24',
          PrivateDNSName: 'ip-10-0-2-61.us-west-2.compute.internal',
          SubnetGatewayIpv4Address: '10.0.2.1/24',
        },
      ],
    },
  ],
};
