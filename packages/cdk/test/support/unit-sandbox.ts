/**
 * Starts a systemd service unit the way systemd would on the instance, but inside a scratch root:
 * a fresh network namespace (so the unit's real ports are free), a private mount namespace with
 * the scratch root as `/` (chroot), the host's /usr bound read-only into it for the Node binary,
 * `ProtectSystem=strict` as a read-only root with `ReadWritePaths=` writable, `PrivateTmp=` as a
 * tmpfs, `User=` with the uid, gid and HOME of its entry in the root's /etc/passwd and no new
 * privileges, `WorkingDirectory=` and `Environment=`. ExecStart runs verbatim: every path in it and in its config is the instance's.
 * Needs root (namespaces and mounts), iproute2, util-linux and coreutils' chroot.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The uid and gid a test gives the unit's system user in the scratch root's /etc/passwd (the
 * boot script's `useradd` is a stub there): the host's `nobody`, so nothing it runs can write
 * anything of the host's.
 */
export const SANDBOX_UID = 65534;

const TOOLS = ['/usr/sbin/ip', '/usr/bin/unshare', '/usr/sbin/chroot', '/usr/bin/setpriv', '/usr/bin/mount'];

/** Throws a clear error when the sandbox cannot be built here (never a silent skip). */
export function requireSandboxTools(): void {
  if (process.getuid?.() !== 0) {
    throw new Error(
      'starting the receiver unit needs root (network namespace, mounts, chroot): run the tests as root',
    );
  }
  const missing = TOOLS.filter((tool) => !existsSync(tool));
  if (missing.length > 0) {
    throw new Error(
      `starting the receiver unit needs ${missing.join(', ')} (apt-get install iproute2 util-linux)`,
    );
  }
}

/** The `[Service]` settings of a unit file (the last one wins; `Environment=` collects). */
export interface ServiceSettings {
  readonly execStart: readonly string[];
  readonly workingDirectory: string;
  readonly readWritePaths: readonly string[];
  readonly environment: Readonly<Record<string, string>>;
  readonly user: string | undefined;
  readonly privateTmp: boolean;
  readonly protectSystem: string | undefined;
}

export function parseServiceUnit(unit: string): ServiceSettings {
  const service = /^\[Service\]\n([\s\S]*?)(?=^\[|(?![\s\S]))/m.exec(unit)?.[1];
  if (service === undefined) throw new Error(`the unit has no [Service] section:\n${unit}`);
  const settings = new Map<string, string>();
  const environment: Record<string, string> = {};
  for (const line of service.split('\n')) {
    const m = /^(\w+)=(.*)$/.exec(line);
    if (!m) continue;
    const [, key, value] = m as unknown as [string, string, string];
    if (key === 'Environment') {
      for (const assignment of value.split(' ')) {
        const eq = assignment.indexOf('=');
        environment[assignment.slice(0, eq)] = assignment.slice(eq + 1);
      }
    } else {
      settings.set(key, value);
    }
  }
  const execStart = settings.get('ExecStart');
  if (execStart === undefined) throw new Error('the unit has no ExecStart');
  // systemd splits on whitespace and honours quotes; this ExecStart must need no quoting at all.
  if (/["'\\$]/.test(execStart)) throw new Error(`ExecStart needs quoting or expansion: ${execStart}`);
  return {
    execStart: execStart.split(/\s+/),
    workingDirectory: settings.get('WorkingDirectory') ?? '/',
    readWritePaths: (settings.get('ReadWritePaths') ?? '').split(/\s+/).filter((p) => p !== ''),
    environment,
    user: settings.get('User'),
    privateTmp: settings.get('PrivateTmp') === 'true',
    protectSystem: settings.get('ProtectSystem'),
  };
}

/** What systemd takes from the passwd entry of `User=`: ids, and HOME, SHELL for the environment. */
interface ServiceUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
  readonly shell: string;
}

function lookUpUser(root: string, name: string): ServiceUser {
  const passwd = join(root, 'etc/passwd');
  const line = existsSync(passwd)
    ? readFileSync(passwd, 'utf8')
        .split('\n')
        .find((l) => l.startsWith(`${name}:`))
    : undefined;
  if (line === undefined) throw new Error(`User=${name}: no entry in ${passwd} (did useradd run?)`);
  const [, , uid, gid, , home, shell] = line.split(':') as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  return { name, uid: Number(uid), gid: Number(gid), home, shell };
}

/** Makes `root` a usable `/`: the host's /bin, /lib... as the same symlinks into /usr, mount points. */
function prepareRoot(root: string): void {
  for (const dir of ['usr', 'proc', 'dev', 'tmp']) mkdirSync(join(root, dir), { recursive: true });
  for (const top of ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']) {
    const host = `/${top}`;
    if (!existsSync(host) || existsSync(join(root, top))) continue;
    if (!lstatSync(host).isSymbolicLink()) {
      throw new Error(
        `${host} is a directory, not a symlink into /usr: this sandbox expects a merged-/usr host`,
      );
    }
    symlinkSync(readlinkSync(host), join(root, top));
  }
}

// Runs as root inside the new network and mount namespaces. Arguments: root, working directory,
// uid, gid, ProtectSystem, PrivateTmp, the ReadWritePaths count, those paths, then ExecStart's argv.
const MOUNT_AND_EXEC = `set -eu
root=$1; cwd=$2; uid=$3; gid=$4; protect=$5; private_tmp=$6; n=$7; shift 7
mount --bind "$root" "$root"
mount --bind /usr "$root/usr"
mount -o remount,bind,ro "$root/usr"
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
if [ "$private_tmp" = true ]; then mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"; fi
# ReadWritePaths become mounts of their own before the root turns read-only, so they stay writable.
while [ "$n" -gt 0 ]; do mount --bind "$root$1" "$root$1"; shift; n=$((n - 1)); done
if [ "$protect" = strict ]; then mount -o remount,bind,ro "$root"; fi
exec chroot "$root" /usr/bin/setpriv --reuid="$uid" --regid="$gid" --clear-groups --no-new-privs -- \\
  /bin/sh -c 'cd "$0" && exec "$@"' "$cwd" "$@"`;

export interface StartedUnit {
  /** The service's main process (ExecStart's own PID: every wrapper execs in place). */
  readonly process: ChildProcess;
  /** Runs a command inside the unit's network namespace (e.g. an HTTP client against its ports). */
  execInNamespace(argv: readonly string[]): { status: number | null; stdout: string; stderr: string };
  /** Kills the service by PID if it still runs and deletes the namespace. */
  cleanUp(): void;
}

/** Starts the unit's ExecStart in the scratch root `root` (which the boot script filled). */
export function startUnit(root: string, settings: ServiceSettings, namespace: string): StartedUnit {
  requireSandboxTools();
  if (settings.user === undefined) throw new Error('the unit has no User=: it would run as root');
  const user = lookUpUser(root, settings.user);
  prepareRoot(root);
  execFileSync('ip', ['netns', 'add', namespace]);
  let child: ChildProcess | undefined;
  const cleanUp = () => {
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid, 'SIGKILL');
    }
    spawnSync('ip', ['netns', 'delete', namespace]);
  };
  try {
    execFileSync('ip', ['-n', namespace, 'link', 'set', 'lo', 'up']);
    child = spawn(
      'ip',
      [
        'netns',
        'exec',
        namespace,
        'unshare',
        '--mount',
        '--propagation',
        'private',
        '--',
        '/bin/sh',
        '-c',
        MOUNT_AND_EXEC,
        'sandbox',
        root,
        settings.workingDirectory,
        String(user.uid),
        String(user.gid),
        settings.protectSystem ?? 'no',
        String(settings.privateTmp),
        String(settings.readWritePaths.length),
        ...settings.readWritePaths,
        ...settings.execStart,
      ],
      {
        // what systemd gives a service with User=: its PATH, the user's HOME, SHELL, USER, LOGNAME,
        // then the unit's Environment=.
        env: {
          PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin',
          HOME: user.home,
          SHELL: user.shell,
          USER: user.name,
          LOGNAME: user.name,
          ...settings.environment,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
  } catch (error) {
    cleanUp();
    throw error;
  }
  const started = child;
  return {
    process: started,
    execInNamespace(argv) {
      const r = spawnSync('ip', ['netns', 'exec', namespace, ...argv], { encoding: 'utf8' });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    },
    cleanUp,
  };
}
