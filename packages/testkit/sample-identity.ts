// Workload identity for fixtures/sample-mirror.pcap (recorded in testkit's lab): the identity-map
// entries the tests that read it with `--identity-map` share.

/** The tasks behind fixtures/sample-mirror.pcap's addresses (testkit's lab: 10.77.1.1 web, 10.77.1.2 api). */
export const SAMPLE_TASK_WEB =
  'arn:aws:ecs:eu-west-1:123456789012:task/shop/0123456789abcdef0123456789abcdef';
export const SAMPLE_TASK_API =
  'arn:aws:ecs:eu-west-1:123456789012:task/shop/fedcba9876543210fedcba9876543210';

/** An identity map's `addresses` naming both IP versions of the sample's two tasks as shop/web and shop/api. */
export const SAMPLE_ADDRESSES: Readonly<
  Record<string, { cluster: string; service: string; task_arn: string }>
> = {
  '10.77.1.1': { cluster: 'shop', service: 'web', task_arn: SAMPLE_TASK_WEB },
  'fd00:77:1::1': { cluster: 'shop', service: 'web', task_arn: SAMPLE_TASK_WEB },
  '10.77.1.2': { cluster: 'shop', service: 'api', task_arn: SAMPLE_TASK_API },
  'fd00:77:1::2': { cluster: 'shop', service: 'api', task_arn: SAMPLE_TASK_API },
};
