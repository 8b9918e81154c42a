#!/usr/bin/env node
// The deployment diagram in the docs, drawn from the CDK example app's synthesized templates rather
// than by hand: `cdk synth` of the default app (NLB target, the forwarder sidecar on the demo task) and
// of the Gateway Load Balancer variant; every box names the resources it stands for (logical ids, and
// the ports, rules, handlers, sizes the templates hold), and the script fails when one is missing.
// Writes docs/images/deployment.svg, and deployment.png rendered by Debian's headless chromium.
//   node scripts/deployment-diagram.mjs [--from DIR] [--out DIR]
// --from: a directory holding the nlb/ and gw/ cloud assemblies already synthesized; --out: where the
// two files go (default docs/images).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const appDir = join(repo, 'packages', 'cdk', 'example-app');
const outIndex = process.argv.indexOf('--out');
const outDir = outIndex > 0 ? process.argv[outIndex + 1] : join(repo, 'docs', 'images');
const STACK = 'FargateMirrorExample.template.json';

function synth(dir, context) {
  const args = ['aws-cdk@2', 'synth', '--no-notices', '--ci', '-q', '-o', dir];
  for (const [k, v] of Object.entries(context)) args.push('-c', `fargate-mirror:${k}=${v}`);
  // No credentials and no metadata service: synth needs neither.
  const env = {
    PATH: process.env.PATH,
    HOME: dir,
    CDK_DISABLE_TELEMETRY: 'true',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  execFileSync('npx', args, { cwd: appDir, env, stdio: ['ignore', 'ignore', 'inherit'] });
}

const fromIndex = process.argv.indexOf('--from');
let work = fromIndex > 0 ? process.argv[fromIndex + 1] : undefined;
let scratch;
if (work === undefined) {
  scratch = mkdtempSync(join(tmpdir(), 'fm-diagram-'));
  work = scratch;
  // The library the app imports by name is the built dist/.
  execFileSync(process.execPath, [
    join(repo, 'node_modules', 'typescript', 'bin', 'tsc'),
    '-b',
    join(repo, 'packages', 'cdk'),
  ]);
  synth(join(work, 'nlb'), { forwarderImageUri: 'public.ecr.aws/example/fargate-mirror-forwarder:1' });
  synth(join(work, 'gw'), { targetType: 'gateway-load-balancer-endpoint' });
}
const nlb = JSON.parse(readFileSync(join(work, 'nlb', STACK), 'utf8')).Resources;
const gw = JSON.parse(readFileSync(join(work, 'gw', STACK), 'utf8')).Resources;
if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });

/** Resources of `type` as [logicalId, properties]; at least one, or the diagram would lie. */
function all(resources, type, where = 'the default app') {
  const found = Object.entries(resources)
    .filter(([, r]) => r.Type === type)
    .map(([id, r]) => [id, r.Properties ?? {}]);
  if (found.length === 0) throw new Error(`no ${type} in ${where}: the diagram no longer matches the app`);
  return found;
}
const one = (resources, type, where) => all(resources, type, where)[0];
const short = (id) => id.replace(/[0-9A-F]{8}$/, '');

const [lbId, lb] = one(nlb, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
const [listenerId, listener] = one(nlb, 'AWS::ElasticLoadBalancingV2::Listener');
const [tgId, tg] = one(nlb, 'AWS::ElasticLoadBalancingV2::TargetGroup');
const [asgId, asg] = one(nlb, 'AWS::AutoScaling::AutoScalingGroup');
const [, lt] = one(nlb, 'AWS::EC2::LaunchTemplate');
const [targetId] = one(nlb, 'AWS::EC2::TrafficMirrorTarget');
const [filterId] = one(nlb, 'AWS::EC2::TrafficMirrorFilter');
const filterRules = all(nlb, 'AWS::EC2::TrafficMirrorFilterRule');
const rules = all(nlb, 'AWS::Events::Rule');
const functions = all(nlb, 'AWS::Lambda::Function');
const queues = all(nlb, 'AWS::SQS::Queue');
const alarms = all(nlb, 'AWS::CloudWatch::Alarm');
const [taskId, task] = one(nlb, 'AWS::ECS::TaskDefinition');
const [gwLbId, gwLb] = one(gw, 'AWS::ElasticLoadBalancingV2::LoadBalancer', 'the GWLB variant');
const [gwEndpointId] = all(gw, 'AWS::EC2::VPCEndpoint', 'the GWLB variant').find(
  ([, p]) => p.VpcEndpointType === 'GatewayLoadBalancer',
) ?? [undefined];
if (gwEndpointId === undefined) throw new Error('no Gateway Load Balancer endpoint in the GWLB variant');
const [gwTgId, gwTg] = one(gw, 'AWS::ElasticLoadBalancingV2::TargetGroup', 'the GWLB variant');

const ruleOf = (pred) => rules.find(([, p]) => pred(p));
const stateRule = ruleOf((p) => p.EventPattern?.['detail-type']?.includes('ECS Task State Change'));
const schedule = ruleOf((p) => typeof p.ScheduleExpression === 'string');
if (stateRule === undefined || schedule === undefined)
  throw new Error('the task-state rule or the resync schedule is missing');
const fn = (handler) => {
  const f = functions.find(([, p]) => p.Handler === `index.${handler}`);
  if (f === undefined) throw new Error(`no Lambda function with handler index.${handler}`);
  return f;
};
const eventFn = fn('taskEventHandler');
const resyncFn = fn('resyncHandler');
const workerFn = fn('queueWorkerHandler');
const workQueue = queues.find(([id]) => /WorkQueue/.test(id));
// Task events reach their function through a queue drained in batches (taskEvents: 'queue').
const eventQueue = queues.find(([id]) => /TaskEventQueue/.test(id));
const eventMapping = all(nlb, 'AWS::Lambda::EventSourceMapping').find(
  ([, p]) => eventQueue !== undefined && JSON.stringify(p.EventSourceArn ?? '').includes(eventQueue[0]),
);
const dlqs = queues.filter(([id]) => /DeadLetter/.test(id));
if (eventQueue !== undefined && eventMapping === undefined)
  throw new Error('the task-event queue has no event source mapping');
const containers = task.ContainerDefinitions ?? [];
const sidecar = containers.find((c) => JSON.stringify(c.Command ?? []).includes(lbId));
if (sidecar === undefined)
  throw new Error('no container of the task sends to the load balancer (the forwarder sidecar)');
const app = containers.filter((c) => c !== sidecar);

// ---- drawing ----
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const parts = [];
const COLOURS = {
  events: ['#fdf2e3', '#d98a1c'],
  lambda: ['#fdeee3', '#d4681c'],
  sqs: ['#f5e9f7', '#9b4fb0'],
  ecs: ['#e8f1fd', '#3c6fd1'],
  net: ['#e6f5ee', '#2e9d57'],
  fleet: ['#eef0f3', '#5b6573'],
};
function box(x, y, w, kind, title, lines, ids) {
  const [fill, stroke] = COLOURS[kind];
  const h = 30 + 16 * lines.length + (ids.length > 0 ? 14 * ids.length + 4 : 0);
  parts.push(
    `<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="8" fill="${fill}" stroke="${stroke}" stroke-width="2"/>`,
  );
  parts.push(`<text x="${x + 10}" y="${y + 20}" class="t">${esc(title)}</text>`);
  for (const [i, l] of lines.entries()) {
    parts.push(`<text x="${x + 10}" y="${y + 40 + 16 * i}" class="l">${esc(l)}</text>`);
  }
  for (const [i, l] of ids.entries()) {
    parts.push(`<text x="${x + 10}" y="${y + 44 + 16 * lines.length + 14 * i}" class="id">${esc(l)}</text>`);
  }
  return { x, y, w, h, cx: x + w / 2, cy: y + h / 2, r: x + w, b: y + h };
}
function arrow(x1, y1, x2, y2, label, dashed = false, dy = -6) {
  parts.push(
    `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" class="a${dashed ? ' d' : ''}" marker-end="url(#head)"/>`,
  );
  if (label)
    parts.push(`<text x="${(x1 + x2) / 2}" y="${(y1 + y2) / 2 + dy}" class="al">${esc(label)}</text>`);
}

const events = box(
  20,
  20,
  290,
  'events',
  'Amazon EventBridge',
  [
    `rule: ${stateRule[1].EventPattern.source.join(',')} "${stateRule[1].EventPattern['detail-type'].join(',')}"`,
    `schedule: ${schedule[1].ScheduleExpression} (resync)`,
  ],
  [short(stateRule[0]), short(schedule[0])],
);
const lambdaLine = (p) => `${p.Handler} · ${p.MemorySize} MB · ${p.Timeout} s`;
const lEvent = box(
  370,
  20,
  345,
  'lambda',
  `Lambda: task event handler (${eventFn[1].Runtime})`,
  eventQueue === undefined
    ? [lambdaLine(eventFn[1])]
    : [
        lambdaLine(eventFn[1]),
        `via an SQS queue, batches of ${eventMapping[1].BatchSize ?? 10} in ${eventMapping[1].MaximumBatchingWindowInSeconds ?? 0} s`,
      ],
  eventQueue === undefined ? [short(eventFn[0])] : [short(eventFn[0]), short(eventQueue[0])],
);
const lResync = box(
  370,
  lEvent.b + 24,
  345,
  'lambda',
  `Lambda: resync (${resyncFn[1].Runtime})`,
  [lambdaLine(resyncFn[1])],
  [short(resyncFn[0])],
);
const sqs = box(
  760,
  20,
  270,
  'sqs',
  'Amazon SQS: work items',
  [
    `work queue (visibility ${workQueue?.[1].VisibilityTimeout ?? '-'} s)`,
    `${dlqs.length} dead-letter queues`,
  ],
  [workQueue ? short(workQueue[0]) : '-', ...dlqs.map(([id]) => short(id))],
);
const lWorker = box(
  1090,
  20,
  350,
  'lambda',
  `Lambda: reconcile worker (${workerFn[1].Runtime})`,
  [lambdaLine(workerFn[1]), 'EC2: Create/DeleteTrafficMirrorSession'],
  [short(workerFn[0])],
);
arrow(events.r, events.y + 30, lEvent.x, lEvent.y + 30, 'task events');
arrow(events.r, events.b - 20, lResync.x, lResync.cy, 'resync', false, 16);
arrow(lEvent.r, lEvent.cy, sqs.x, sqs.y + 30, 'work item');
arrow(lResync.r, lResync.cy, sqs.x, sqs.b - 20, 'per task', false, 18);
arrow(sqs.r, sqs.y + 40, lWorker.x, lWorker.y + 40, 'batch');

const ecs = box(
  20,
  300,
  400,
  'ecs',
  'Amazon ECS: Fargate task (awsvpc ENI)',
  [
    ...app.map((c) => `container ${c.Name}: ${c.Image}`),
    `sidecar ${sidecar.Name}: VXLAN from inside the task,`,
    'where AWS refuses the task ENI as a mirror source',
  ],
  [short(taskId)],
);
const session = box(
  490,
  300,
  290,
  'net',
  'Traffic Mirror session per task ENI',
  [
    `filter: ${filterRules.length} rules (ingress and egress)`,
    'one per ENI, owner-tagged; gone at task stop',
  ],
  [short(filterId)],
);
const target = box(
  850,
  300,
  250,
  'net',
  'Traffic Mirror target',
  [`-> ${lb.Type} load balancer`],
  [short(targetId)],
);
arrow(lWorker.cx, lWorker.b, session.cx + 40, session.y, 'creates / deletes', false, 0);
arrow(ecs.r, ecs.y + 40, session.x, session.y + 40, 'task ENI traffic');
arrow(session.r, session.y + 40, target.x, target.y + 40, 'VXLAN');

const nlbBox = box(
  850,
  430,
  250,
  'net',
  `NLB (${lb.Type}, ${lb.Scheme})`,
  [
    `listener ${listener.Protocol} ${listener.Port}`,
    `health: ${tg.HealthCheckProtocol} ${tg.HealthCheckPort} ${tg.HealthCheckPath}`,
  ],
  [short(lbId), short(listenerId), short(tgId)],
);
arrow(target.cx, target.b, nlbBox.cx, nlbBox.y, '', false);
arrow(ecs.cx, ecs.b, nlbBox.x, nlbBox.y + 60, `sidecar: VXLAN UDP ${listener.Port} to the NLB`, true, 18);

const instanceType = lt.LaunchTemplateData?.InstanceType ?? '?';
const fleet = box(
  1160,
  430,
  280,
  'fleet',
  'Receiver fleet (Auto Scaling)',
  [
    `${asg.MinSize}-${asg.MaxSize} × ${instanceType}, private subnets`,
    `fargate-mirror receive: UDP ${tg.Port}`,
    `/healthz, /metrics on ${tg.HealthCheckPort}`,
    'pcap, JSON Lines records, Splunk HEC',
  ],
  [short(asgId)],
);
arrow(nlbBox.r, nlbBox.y + 40, fleet.x, fleet.y + 40, `${tg.Protocol} ${tg.Port}`);

const gwBox = box(
  490,
  590,
  290,
  'net',
  `or: GWLB (${gwLb.Type}) + endpoint`,
  [`target group ${gwTg.Protocol} ${gwTg.Port}`, 'the receiver takes GENEVE on 6081 too'],
  [short(gwLbId), short(gwEndpointId), short(gwTgId)],
);
arrow(gwBox.r, gwBox.cy, fleet.x + 40, fleet.b, 'GENEVE', true, 18);
box(
  20,
  620,
  380,
  'fleet',
  'Amazon CloudWatch',
  [`${alarms.length} alarms: Lambda errors, dead letters, fleet health`],
  [],
);

const width = 1460;
const height = 740;
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
<title>fargate-mirror deployment, from cdk synth of the example app</title>
<style>
text { font-family: "DejaVu Sans", sans-serif; fill: #1d2430; }
.t { font-size: 14px; font-weight: bold; } .l { font-size: 12px; } .id { font-size: 10px; fill: #5b6573; font-family: "DejaVu Sans Mono", monospace; }
.a { stroke: #1d2430; stroke-width: 1.6; } .d { stroke-dasharray: 6 4; } .al { font-size: 11px; text-anchor: middle; fill: #3b4350; }
</style>
<defs><marker id="head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#1d2430"/></marker></defs>
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="${width - 20}" y="${height - 12}" class="id" text-anchor="end">generated by scripts/deployment-diagram.mjs from cdk synth of packages/cdk/example-app (small grey text: CloudFormation logical ids)</text>
${parts.join('\n')}
</svg>
`;
mkdirSync(outDir, { recursive: true });
const svgPath = join(outDir, 'deployment.svg');
writeFileSync(svgPath, svg);
const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
if (chromium === undefined)
  throw new Error("rendering the PNG needs Debian's chromium: apt-get install chromium fonts-dejavu-core");
const profile = mkdtempSync(join(tmpdir(), 'fm-diagram-chromium-'));
try {
  execFileSync(
    chromium,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      `--user-data-dir=${profile}`,
      `--window-size=${width},${height}`,
      '--hide-scrollbars',
      `--screenshot=${join(outDir, 'deployment.png')}`,
      `file://${svgPath}`,
    ],
    { stdio: 'ignore' },
  );
} finally {
  rmSync(profile, { recursive: true, force: true });
}
process.stdout.write(`wrote ${svgPath} and ${join(outDir, 'deployment.png')}\n`);
