/**
 * The AWS wire error codes the emulator answers with, as AWS spells them. They are AWS's vocabulary,
 * not the package's: an SDK client sees one as the error's `name` (EC2 `<Code>`, ECS `__type`). They
 * travel in `ApiError.awsCode`, apart from the package's own `AWS_LOCAL_*` codes, so a caller that
 * switches over `AwsLocalErrorCode` never meets an AWS code, and a new AWS code is one line here.
 */
export const AWS_API_ERROR_CODES = [
  // EC2 Query API: the protocol itself
  'MissingAction',
  'InvalidAction',
  'NoSuchVersion',
  'RequestLimitExceeded',
  'InternalError',
  'DryRunOperation',
  // EC2: parameters
  'MissingParameter',
  'InvalidParameterValue',
  'InvalidParameterCombination',
  'InvalidPaginationToken',
  'IdempotentParameterMismatch',
  'InvalidID',
  'TagLimitExceeded',
  // EC2: unknown or malformed ids
  'InvalidVpcID.NotFound',
  'InvalidSubnetID.NotFound',
  'InvalidNetworkInterfaceID.NotFound',
  'InvalidNetworkInterfaceId.Malformed',
  'InvalidInstanceID.NotFound',
  'InvalidInstanceID.Malformed',
  'InvalidTrafficMirrorTargetId.NotFound',
  'InvalidTrafficMirrorFilterId.NotFound',
  'InvalidTrafficMirrorFilterRuleId.NotFound',
  'InvalidTrafficMirrorSessionId.NotFound',
  // EC2: resource state and quotas
  'DependencyViolation',
  'InsufficientFreeAddressesInSubnet',
  'InvalidIPAddress.InUse',
  'InvalidNetworkInterface.InUse',
  'NetworkInterfaceNotSupported',
  'TrafficMirrorFilterInUse',
  'TrafficMirrorTargetInUseException',
  'TrafficMirrorFilterLimitExceeded',
  'TrafficMirrorFilterRuleAlreadyExists',
  'TrafficMirrorFilterRuleLimitExceeded',
  'TrafficMirrorSessionLimitExceeded',
  'TrafficMirrorSessionsPerInterfaceLimitExceeded',
  'TrafficMirrorSourcesPerTargetLimitExceeded',
  'TrafficMirrorTargetLimitExceeded',
  // ECS JSON 1.1 API
  'UnknownOperationException',
  'SerializationException',
  'ThrottlingException',
  'ServerException',
  'ClientException',
  'InvalidParameterException',
  'ClusterNotFoundException',
  'ServiceNotFoundException',
  'ServiceNotActiveException',
  'ResourceNotFoundException',
] as const;
export type AwsApiErrorCode = (typeof AWS_API_ERROR_CODES)[number];
