/**
 * The receiver's boot script (EC2 user data), as lines of bash. Every file it writes sits under
 * `$ROOT` (empty on an instance), so tests run the very same script against a scratch directory
 * with stubbed `systemctl`, `aws`, `dnf`, ... on PATH.
 */
import {
  RECEIVER_BUNDLE_FILE,
  RECEIVER_NATIVE_ADDON_FILE,
  RECEIVER_NATIVE_SOURCE_FILE,
  RECEIVER_WORKER_FILE,
} from './receiver-bundle.js';

export const RECEIVER_SERVICE = 'fargate-mirror-receiver.service';
export const RECEIVER_CONFIG_PATH = '/etc/fargate-mirror/receiver.json';
export const HEC_TOKEN_PATH = '/etc/fargate-mirror/splunk-hec-token';
export const RECEIVER_HOME = '/var/lib/fargate-mirror';
export const RECEIVER_INSTALL_DIR = '/opt/fargate-mirror';
const CW_AGENT_DIR = '/opt/aws/amazon-cloudwatch-agent';
export const RECEIVER_CLI_PATH = `${RECEIVER_INSTALL_DIR}/lib/${RECEIVER_BUNDLE_FILE}`;
export const RECEIVER_NATIVE_ADDON_PATH = `${RECEIVER_INSTALL_DIR}/lib/${RECEIVER_NATIVE_ADDON_FILE}`;
const RECEIVER_NATIVE_SOURCE_PATH = `${RECEIVER_INSTALL_DIR}/lib/${RECEIVER_NATIVE_SOURCE_FILE}`;

export interface ReceiverBootScriptOptions {
  /** The region (for the AWS CLI calls). */
  readonly region: string;
  /** `s3://bucket/key` of the bundled CLI. */
  readonly bundleS3Url: string;
  /** `s3://bucket/key` of the bundled receive worker, installed beside the CLI. */
  readonly workerS3Url: string;
  /**
   * `s3://bucket/key` of the native intake's one-file C source, compiled on the instance; undefined:
   * none (the receiver reads with dgram).
   */
  readonly nativeSourceS3Url?: string;
  /**
   * The receiver captures with a packet ring (`intake: afpacket`): its unit gets CAP_NET_RAW, and
   * nothing else.
   */
  readonly packetCapture?: boolean;
  /** Lines that set NODE_BIN. */
  readonly nodeInstallCommands: readonly string[];
  /** The receiver configuration as JSON text. */
  readonly configJson: string;
  /** The port of `/healthz`, the one the load balancer checks. */
  readonly healthPort: number;
  /** The Secrets Manager secret holding the Splunk HEC token, if any. */
  readonly hecTokenSecretArn: string | undefined;
  /** `net.core.rmem_max`, so the receiver can ask for a large socket buffer. */
  readonly receiveBufferMaxBytes: number;
  /** The CloudWatch agent ships this EMF file to this log group (the receivers' own metrics). */
  readonly emf?: { readonly file: string; readonly logGroupName: string };
}

/** The `ExecStart` command: the health port is the one the NLB / GWLB target group checks. */
export function receiverExecStart(healthPort: number): string {
  return `\${NODE_BIN} ${RECEIVER_CLI_PATH} receive --config ${RECEIVER_CONFIG_PATH} --health-port ${healthPort}`;
}

export function receiverBootScript(o: ReceiverBootScriptOptions): string[] {
  const lines = [
    'set -euo pipefail',
    '# fargate-mirror receiver bootstrap; ROOT is empty on an instance (tests point it at a scratch directory).',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash parameter expansion, not a JS template
    'ROOT="${FARGATE_MIRROR_ROOT:-}"',
    `REGION='${o.region}'`,
    `install -d -m 0755 "$ROOT/etc/fargate-mirror" "$ROOT${RECEIVER_INSTALL_DIR}/lib" "$ROOT/etc/systemd/system" "$ROOT/etc/sysctl.d" "$ROOT/usr/local/bin"`,
    '',
    '# 1. a receive buffer large enough for bursts of mirrored packets (the receiver asks for it).',
    `cat > "$ROOT/etc/sysctl.d/90-fargate-mirror.conf" <<'FARGATE_MIRROR_SYSCTL'`,
    `net.core.rmem_max = ${o.receiveBufferMaxBytes}`,
    'net.core.netdev_max_backlog = 10000',
    'FARGATE_MIRROR_SYSCTL',
    `sysctl -q -p "$ROOT/etc/sysctl.d/90-fargate-mirror.conf"`,
    '',
    '# 2. Node.js.',
    'NODE_BIN=""',
    ...o.nodeInstallCommands,
    'if [ -z "$NODE_BIN" ]; then echo "fargate-mirror: no node binary found" >&2; exit 1; fi',
    '',
    '# 3. the receiver: the bundled CLI and its worker thread from S3, no npm and no internet.',
    `aws s3 cp '${o.bundleS3Url}' "$ROOT${RECEIVER_CLI_PATH}" --region "$REGION" --only-show-errors`,
    `aws s3 cp '${o.workerS3Url}' "$ROOT${RECEIVER_INSTALL_DIR}/lib/${RECEIVER_WORKER_FILE}" --region "$REGION" --only-show-errors`,
    `printf '#!/bin/sh\\nexec %s ${RECEIVER_CLI_PATH} "$@"\\n' "$NODE_BIN" > "$ROOT/usr/local/bin/fargate-mirror"`,
    'chmod 0755 "$ROOT/usr/local/bin/fargate-mirror"',
    '',
    ...(o.nativeSourceS3Url === undefined ? [] : nativeIntakeLines(o.nativeSourceS3Url)),
    '# 4. a system user and its data directories.',
    'if ! id -u fargate-mirror >/dev/null 2>&1; then',
    `  useradd --system --home-dir ${RECEIVER_HOME} --shell /sbin/nologin fargate-mirror`,
    'fi',
    // owner-only data directories: pcap holds raw payload, records may hold personal data.
    `install -d -m 0750 "$ROOT${RECEIVER_HOME}"`,
    `install -d -m 0700 "$ROOT${RECEIVER_HOME}/pcap" "$ROOT${RECEIVER_HOME}/records"`,
    `chown -R fargate-mirror:fargate-mirror "$ROOT${RECEIVER_HOME}"`,
    '',
  ];
  if (o.hecTokenSecretArn !== undefined) {
    lines.push(
      '# 5. the Splunk HEC token from Secrets Manager, readable by the receiver only.',
      `(umask 077 && aws secretsmanager get-secret-value --region "$REGION" --secret-id '${o.hecTokenSecretArn}' --query SecretString --output text > "$ROOT${HEC_TOKEN_PATH}")`,
      `chown fargate-mirror:fargate-mirror "$ROOT${HEC_TOKEN_PATH}"`,
      '',
    );
  }
  if (o.emf !== undefined) {
    const agentConfig = JSON.stringify({
      logs: {
        logs_collected: {
          files: {
            collect_list: [
              { file_path: o.emf.file, log_group_name: o.emf.logGroupName, log_stream_name: '{instance_id}' },
            ],
          },
        },
      },
    });
    lines.push(
      "# 5b. the CloudWatch agent ships the receiver's EMF lines (its own health metrics) to CloudWatch Logs.",
      'dnf install -y amazon-cloudwatch-agent',
      `install -d -m 0700 "$ROOT${RECEIVER_HOME}/metrics"`,
      `chown fargate-mirror:fargate-mirror "$ROOT${RECEIVER_HOME}/metrics"`,
      `install -d -m 0755 "$ROOT${CW_AGENT_DIR}/etc"`,
      `cat > "$ROOT${CW_AGENT_DIR}/etc/fargate-mirror-emf.json" <<'FARGATE_MIRROR_CW_AGENT'`,
      agentConfig,
      'FARGATE_MIRROR_CW_AGENT',
      `PATH="$PATH:${CW_AGENT_DIR}/bin" amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c "file:$ROOT${CW_AGENT_DIR}/etc/fargate-mirror-emf.json"`,
      '',
    );
  }
  lines.push(
    '# 6. the configuration.',
    `cat > "$ROOT${RECEIVER_CONFIG_PATH}" <<'FARGATE_MIRROR_CONFIG'`,
    o.configJson,
    'FARGATE_MIRROR_CONFIG',
    '',
    '# 7. the service; SIGTERM makes the receiver drain and flush before it exits.',
    `cat > "$ROOT/etc/systemd/system/${RECEIVER_SERVICE}" <<FARGATE_MIRROR_UNIT`,
    '[Unit]',
    'Description=fargate-mirror receiver (mirrored VXLAN/GENEVE to pcap, records, Splunk)',
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    'User=fargate-mirror',
    'Group=fargate-mirror',
    `WorkingDirectory=${RECEIVER_HOME}`,
    'Environment=AWS_REGION=$REGION',
    ...(o.nativeSourceS3Url === undefined
      ? []
      : [`Environment=FARGATE_MIRROR_NATIVE_ADDON=${RECEIVER_NATIVE_ADDON_PATH}`]),
    `ExecStart=${receiverExecStart(o.healthPort)}`,
    'Restart=always',
    'RestartSec=2',
    'KillSignal=SIGTERM',
    'TimeoutStopSec=60',
    'LimitNOFILE=65536',
    ...(o.packetCapture === true
      ? ['AmbientCapabilities=CAP_NET_RAW', 'CapabilityBoundingSet=CAP_NET_RAW']
      : []),
    'NoNewPrivileges=true',
    'ProtectSystem=strict',
    'ProtectHome=true',
    'PrivateTmp=true',
    `ReadWritePaths=${RECEIVER_HOME}`,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    'FARGATE_MIRROR_UNIT',
    'systemctl daemon-reload',
    `systemctl enable --now ${RECEIVER_SERVICE}`,
  );
  return lines;
}

/**
 * The native intake (recvmmsg sockets, the packet ring), built here for this machine's architecture
 * from its one C file: 1.8-2.4x the zero-loss datagram rate of dgram (bench/receive). Without gcc, or when
 * the build fails, the receiver reads with dgram and its start-up log says why; the boot goes on.
 */
function nativeIntakeLines(sourceS3Url: string): string[] {
  return [
    '# 3b. the native intake (recvmmsg, packet ring): compiled here from its one C file, for this machine.',
    `aws s3 cp '${sourceS3Url}' "$ROOT${RECEIVER_NATIVE_SOURCE_PATH}" --region "$REGION" --only-show-errors`,
    'if command -v gcc >/dev/null 2>&1 || dnf install -y gcc; then',
    `  gcc -O2 -shared -fPIC -o "$ROOT${RECEIVER_NATIVE_ADDON_PATH}" "$ROOT${RECEIVER_NATIVE_SOURCE_PATH}" ||`,
    '    echo "fargate-mirror: the native intake did not build; the receiver reads with dgram" >&2',
    'else',
    '  echo "fargate-mirror: no gcc for the native intake; the receiver reads with dgram" >&2',
    'fi',
    '',
  ];
}
