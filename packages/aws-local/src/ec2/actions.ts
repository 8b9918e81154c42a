import type { Ec2Action } from './context.js';
import { describeInstances } from './instances.js';
import { createTrafficMirrorFilterRule, deleteTrafficMirrorFilterRule } from './mirror-filter-rules.js';
import {
  createTrafficMirrorFilter,
  deleteTrafficMirrorFilter,
  describeTrafficMirrorFilters,
  modifyTrafficMirrorFilterNetworkServices,
} from './mirror-filters.js';
import {
  createTrafficMirrorSession,
  deleteTrafficMirrorSession,
  describeTrafficMirrorSessions,
  modifyTrafficMirrorSession,
} from './mirror-sessions.js';
import {
  createTrafficMirrorTarget,
  deleteTrafficMirrorTarget,
  describeTrafficMirrorTargets,
} from './mirror-targets.js';
import {
  createNetworkInterface,
  deleteNetworkInterface,
  describeNetworkInterfaces,
} from './network-interfaces.js';
import { createTags, deleteTags, describeTags } from './tags.js';
import { describeSubnets, describeVpcs } from './vpcs.js';

/** Every EC2 action the emulator answers; anything else is AWS's InvalidAction. */
export const EC2_ACTIONS: Readonly<Record<string, Ec2Action>> = {
  DescribeVpcs: { handler: describeVpcs, category: 'non-mutating' },
  DescribeSubnets: { handler: describeSubnets, category: 'non-mutating' },
  CreateNetworkInterface: { handler: createNetworkInterface, category: 'uncategorized', idempotent: true },
  DescribeNetworkInterfaces: { handler: describeNetworkInterfaces, category: 'non-mutating' },
  DeleteNetworkInterface: { handler: deleteNetworkInterface, category: 'mutating' },
  CreateTrafficMirrorTarget: { handler: createTrafficMirrorTarget, category: 'mutating', idempotent: true },
  DescribeTrafficMirrorTargets: { handler: describeTrafficMirrorTargets, category: 'non-mutating' },
  DeleteTrafficMirrorTarget: { handler: deleteTrafficMirrorTarget, category: 'mutating' },
  CreateTrafficMirrorFilter: { handler: createTrafficMirrorFilter, category: 'mutating', idempotent: true },
  DescribeTrafficMirrorFilters: { handler: describeTrafficMirrorFilters, category: 'non-mutating' },
  DeleteTrafficMirrorFilter: { handler: deleteTrafficMirrorFilter, category: 'mutating' },
  ModifyTrafficMirrorFilterNetworkServices: {
    handler: modifyTrafficMirrorFilterNetworkServices,
    category: 'mutating',
  },
  CreateTrafficMirrorFilterRule: {
    handler: createTrafficMirrorFilterRule,
    category: 'mutating',
    idempotent: true,
  },
  DeleteTrafficMirrorFilterRule: { handler: deleteTrafficMirrorFilterRule, category: 'mutating' },
  CreateTrafficMirrorSession: { handler: createTrafficMirrorSession, category: 'mutating', idempotent: true },
  DescribeTrafficMirrorSessions: { handler: describeTrafficMirrorSessions, category: 'non-mutating' },
  DeleteTrafficMirrorSession: { handler: deleteTrafficMirrorSession, category: 'mutating' },
  ModifyTrafficMirrorSession: { handler: modifyTrafficMirrorSession, category: 'mutating' },
  CreateTags: { handler: createTags, category: 'uncategorized' },
  DeleteTags: { handler: deleteTags, category: 'mutating' },
  DescribeTags: { handler: describeTags, category: 'non-mutating' },
  DescribeInstances: { handler: describeInstances, category: 'non-mutating' },
};
