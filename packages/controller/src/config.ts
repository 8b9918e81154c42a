import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { Selection } from './core/selection.js';
import { SESSION_NUMBER_MAX, SESSION_NUMBER_MIN, type SessionNumberPolicy } from './core/session-number.js';
import { VNI_MAX, VNI_MIN, type VniPolicy } from './core/vni.js';
import { ConfigInvalidError, ConfigUnreadableError } from './errors.js';

const nameList = z
  .array(z.string().min(1))
  .min(1, 'must list at least one name (omit the key to mean "all")');
const launchTypes = z.array(z.enum(['FARGATE', 'EC2', 'EXTERNAL'])).min(1);
const tagCondition = z.record(z.string().min(1), z.union([z.string(), z.array(z.string()).min(1)]));
const ruleShape = {
  clusters: nameList.optional(),
  services: nameList.optional(),
  families: nameList.optional(),
  launchTypes: launchTypes.optional(),
  taskTags: tagCondition.optional(),
};

const VNI_MESSAGE = `must be "random", "per-service" or a number ${VNI_MIN}-${VNI_MAX}`;
const SESSION_NUMBER_MESSAGE = `must be "highest-free", "lowest-free" or a fixed number ${SESSION_NUMBER_MIN}-${SESSION_NUMBER_MAX}`;

/** The controller configuration file (JSON or YAML); see README.md for every key. */
export const configSchema = z.strictObject({
  owner: z
    .string()
    .regex(/^[A-Za-z0-9._:/=+@-]{1,128}$/, 'must be 1-128 characters of letters, digits and ._:/=+@-'),
  target: z.string().regex(/^tmt-[0-9a-z]+$/, 'must be a traffic mirror target id (tmt-...)'),
  filter: z.string().regex(/^tmf-[0-9a-z]+$/, 'must be a traffic mirror filter id (tmf-...)'),
  select: z.strictObject({ ...ruleShape, exclude: z.strictObject(ruleShape).optional() }).default({}),
  vni: z
    .union(
      [
        z.literal('random'),
        z.literal('per-service'),
        z.number().int().min(VNI_MIN, VNI_MESSAGE).max(VNI_MAX, VNI_MESSAGE),
      ],
      {
        error: VNI_MESSAGE,
      },
    )
    .default('random'),
  vniByService: z.record(z.string().min(1), z.number().int().min(VNI_MIN).max(VNI_MAX)).optional(),
  sessionNumber: z
    .union(
      [
        z.literal('highest-free'),
        z.literal('lowest-free'),
        z
          .number()
          .int()
          .min(SESSION_NUMBER_MIN, SESSION_NUMBER_MESSAGE)
          .max(SESSION_NUMBER_MAX, SESSION_NUMBER_MESSAGE),
      ],
      { error: SESSION_NUMBER_MESSAGE },
    )
    .default('highest-free'),
  packetLength: z
    .number()
    .int()
    .min(35, 'must be at least 35 (AWS minimum for IPv4)')
    .max(8500, 'must be at most 8500')
    .optional(),
  /** With highest-free, create below another tool's session when none above is free (takes its traffic). */
  takeTrafficFromOthers: z.boolean().default(false),
  mirrorContainerInstances: z.boolean().default(true),
  accountSessionQuota: z.number().int().positive().default(10_000),
  refusalCacheTtlSeconds: z.number().int().positive().default(3600),
  /**
   * Read each session-less source ENI (DescribeNetworkInterfaces) before creating its session, and
   * skip the ones AWS's rules refuse (requester-managed by ECS, other interface types). false only
   * where those rules do not hold (aws-local's taskEniSources: accept).
   */
  predictRefusals: z.boolean().default(true),
  queueUrl: z.string().url().optional(),
  region: z.string().min(1).optional(),
});

export type ConfigFile = z.input<typeof configSchema>;

/** The validated configuration in the shape the controller uses. */
export interface ControllerConfig {
  readonly owner: string;
  readonly targetId: string;
  readonly filterId: string;
  readonly selection: Selection;
  readonly vni: VniPolicy;
  readonly sessionNumber: SessionNumberPolicy;
  readonly packetLength: number | undefined;
  readonly takeTrafficFromOthers: boolean;
  readonly mirrorContainerInstances: boolean;
  readonly accountSessionQuota: number;
  readonly refusalCacheTtlMs: number;
  readonly predictRefusals: boolean;
  readonly queueUrl: string | undefined;
  readonly region: string | undefined;
}

function pathOf(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(top level)';
}

function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const at = pathOf(issue.path);
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((k) => (at === '(top level)' ? k : `${at}.${k}`));
      return `${keys.join(', ')}: unknown key${keys.length > 1 ? 's' : ''} (check the spelling; see the README)`;
    }
    return `${at}: ${issue.message}`;
  });
}

/** Validates parsed JSON/YAML; throws ConfigInvalidError naming every bad key at once. */
export function parseConfig(raw: unknown): ControllerConfig {
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigInvalidError(describeIssues(result.error));
  const c = result.data;
  if (c.vniByService && c.vni !== 'per-service') {
    throw new ConfigInvalidError(['vniByService: only used with vni: per-service']);
  }
  const vni: VniPolicy =
    c.vni === 'random'
      ? { kind: 'random' }
      : c.vni === 'per-service'
        ? { kind: 'per-service', map: c.vniByService ?? {} }
        : { kind: 'fixed', vni: c.vni };
  const sessionNumber: SessionNumberPolicy =
    typeof c.sessionNumber === 'number'
      ? { kind: 'fixed', number: c.sessionNumber }
      : { kind: c.sessionNumber };
  return {
    owner: c.owner,
    targetId: c.target,
    filterId: c.filter,
    selection: c.select,
    vni,
    sessionNumber,
    packetLength: c.packetLength,
    takeTrafficFromOthers: c.takeTrafficFromOthers,
    mirrorContainerInstances: c.mirrorContainerInstances,
    accountSessionQuota: c.accountSessionQuota,
    refusalCacheTtlMs: c.refusalCacheTtlSeconds * 1000,
    predictRefusals: c.predictRefusals,
    queueUrl: c.queueUrl,
    region: c.region,
  };
}

/** Parses configuration text: YAML (JSON is valid YAML). `origin` names the source in errors. */
export function parseConfigText(text: string, origin: string): ControllerConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (cause) {
    throw new ConfigUnreadableError(`${origin}: not valid YAML or JSON: ${(cause as Error).message}`, {
      cause,
    });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigUnreadableError(`${origin}: expected a mapping of keys (owner, target, filter, ...)`);
  }
  try {
    return parseConfig(raw);
  } catch (error) {
    if (error instanceof ConfigInvalidError) {
      throw new ConfigInvalidError(
        error.issues.map((i) => `${origin}: ${i}`),
        { cause: error },
      );
    }
    throw error;
  }
}

export async function loadConfigFile(path: string): Promise<ControllerConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new ConfigUnreadableError(`cannot read config file ${path}: ${(cause as Error).message}`, {
      cause,
    });
  }
  return parseConfigText(text, path);
}

/**
 * Lambda configuration: `FARGATE_MIRROR_CONFIG` (inline JSON/YAML) or `FARGATE_MIRROR_CONFIG_FILE`
 * (a path in the deployment package); `FARGATE_MIRROR_QUEUE_URL` overrides `queueUrl`.
 */
export async function loadConfigFromEnv(env: NodeJS.ProcessEnv): Promise<ControllerConfig> {
  const inline = env['FARGATE_MIRROR_CONFIG'];
  const file = env['FARGATE_MIRROR_CONFIG_FILE'];
  let config: ControllerConfig;
  if (inline) config = parseConfigText(inline, 'FARGATE_MIRROR_CONFIG');
  else if (file) config = await loadConfigFile(file);
  else
    throw new ConfigUnreadableError(
      'set FARGATE_MIRROR_CONFIG (inline JSON/YAML) or FARGATE_MIRROR_CONFIG_FILE',
    );
  const queueUrl = env['FARGATE_MIRROR_QUEUE_URL'];
  return queueUrl ? { ...config, queueUrl } : config;
}
