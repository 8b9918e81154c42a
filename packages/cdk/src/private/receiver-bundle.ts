import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import type { Construct } from 'constructs';
import { optionalPackageAsset, packageAsset } from './assets.js';

/** The file name of the bundled CLI on the instance and in the asset. */
export const RECEIVER_BUNDLE_FILE = 'fargate-mirror.mjs';

/**
 * The file name of the bundled receive worker. The receiver starts its worker threads from
 * `new URL('./worker-main.js', import.meta.url)` (packages/receiver/src/live/receiver.ts), so the
 * worker must sit beside the CLI bundle under exactly this name.
 */
export const RECEIVER_WORKER_FILE = 'worker-main.js';

/** The native intake's C source in one file (scripts/native-intake-source.mjs), compiled on the instance. */
export const RECEIVER_NATIVE_SOURCE_FILE = 'fm-recv.c';
/** Where the instance puts the addon it compiled, and tells the receiver so (FARGATE_MIRROR_NATIVE_ADDON). */
export const RECEIVER_NATIVE_ADDON_FILE = 'fm-recv.node';

/**
 * The S3 asset holding the bundled receiver CLI (a single .mjs file): the `fargate-mirror` CLI with
 * every dependency, prebuilt by the package's build (scripts/bundle-assets.mjs), its version baked in.
 * The instance needs no npm and no internet: it copies the file from S3 and runs it with Node.
 */
export function receiverCliAsset(scope: Construct, id: string): Asset {
  return new Asset(scope, id, { path: packageAsset('receiver', RECEIVER_BUNDLE_FILE) });
}

/** The S3 asset holding the bundled receive worker (a single .js file, installed beside the CLI). */
export function receiverWorkerAsset(scope: Construct, id: string): Asset {
  return new Asset(scope, id, { path: packageAsset('receiver', RECEIVER_WORKER_FILE) });
}

/**
 * The S3 asset holding the native intake's source, which the instance compiles with gcc (for its own
 * architecture); undefined when the package was built by a Node without Node-API headers (the build
 * warned), and the receivers then read with dgram.
 */
export function receiverNativeSourceAsset(scope: Construct, id: string): Asset | undefined {
  const path = optionalPackageAsset('receiver', RECEIVER_NATIVE_SOURCE_FILE);
  return path === undefined ? undefined : new Asset(scope, id, { path });
}
