import { createCluster, describeClusters, listClusters } from './clusters.js';
import {
  describeContainerInstances,
  listContainerInstances,
  registerContainerInstance,
} from './container-instances.js';
import type { EcsHandler } from './context.js';
import { createService, deleteService, describeServices, listServices, updateService } from './services.js';
import { listTagsForResource, tagResource, untagResource } from './tagging.js';
import { describeTaskDefinition, listTaskDefinitions, registerTaskDefinition } from './task-definitions.js';
import { describeTasks, listTasks, runTask, stopTask } from './tasks.js';

/** ECS operations answered, by X-Amz-Target operation name; `mutating` ones mark state changed. */
export const ECS_ACTIONS: Readonly<Record<string, { handler: EcsHandler; mutating: boolean }>> = {
  CreateCluster: { handler: createCluster, mutating: true },
  ListClusters: { handler: listClusters, mutating: false },
  DescribeClusters: { handler: describeClusters, mutating: false },
  RegisterTaskDefinition: { handler: registerTaskDefinition, mutating: true },
  DescribeTaskDefinition: { handler: describeTaskDefinition, mutating: false },
  ListTaskDefinitions: { handler: listTaskDefinitions, mutating: false },
  RunTask: { handler: runTask, mutating: true },
  StopTask: { handler: stopTask, mutating: true },
  DescribeTasks: { handler: describeTasks, mutating: false },
  ListTasks: { handler: listTasks, mutating: false },
  CreateService: { handler: createService, mutating: true },
  UpdateService: { handler: updateService, mutating: true },
  DeleteService: { handler: deleteService, mutating: true },
  DescribeServices: { handler: describeServices, mutating: false },
  ListServices: { handler: listServices, mutating: false },
  TagResource: { handler: tagResource, mutating: true },
  UntagResource: { handler: untagResource, mutating: true },
  ListTagsForResource: { handler: listTagsForResource, mutating: false },
  RegisterContainerInstance: { handler: registerContainerInstance, mutating: true },
  DescribeContainerInstances: { handler: describeContainerInstances, mutating: false },
  ListContainerInstances: { handler: listContainerInstances, mutating: false },
};
