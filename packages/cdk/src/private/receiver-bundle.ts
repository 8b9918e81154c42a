import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { AssetHashType, BundlingOutput, DockerImage } from 'aws-cdk-lib';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import type { Construct } from 'constructs';
import { BundlingFailedError } from '../errors.js';
import { repoPath, requireSource } from './repo-paths.js';

/** The file name of the bundled CLI on the instance and in the asset. */
export const RECEIVER_BUNDLE_FILE = 'fargate-mirror.mjs';

/**
 * The file name of the bundled receive worker. The receiver starts its worker threads from
 * `new URL('./worker-main.js', import.meta.url)` (packages/receiver/src/live/receiver.ts), so the
 * worker must sit beside the CLI bundle under exactly this name.
 */
export const RECEIVER_WORKER_FILE = 'worker-main.js';

/** The identifier esbuild replaces with the CLI's version (declared in packages/cli/src/program.ts). */
const VERSION_DEFINE = 'FARGATE_MIRROR_VERSION';

interface EsbuildLike {
  buildSync(options: Record<string, unknown>): unknown;
}

/** The version in packages/cli/package.json, baked into the bundles (no package.json on the instance). */
export function receiverCliVersion(): string {
  const manifest = requireSource(repoPath('packages', 'cli', 'package.json'), 'the CLI package.json');
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

function loadEsbuild(): EsbuildLike {
  const require = createRequire(import.meta.url);
  try {
    return require('esbuild') as EsbuildLike;
  } catch (cause) {
    throw new BundlingFailedError('esbuild is needed to bundle the receiver: npm i -D esbuild', { cause });
  }
}

/**
 * Workspace imports (`@fargate-mirror/wire`, ...) resolve to the sibling package's TypeScript
 * source, so a bundle never depends on a stale or missing dist/ (buildSync cannot run plugins).
 */
function workspaceAliases(): Record<string, string> {
  const alias: Record<string, string> = {};
  const packages = requireSource(repoPath('packages'), 'the workspace packages');
  for (const dir of readdirSync(packages)) {
    const manifest = join(packages, dir, 'package.json');
    const index = join(packages, dir, 'src', 'index.ts');
    if (!existsSync(manifest) || !existsSync(index)) continue;
    const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name: string };
    if (name.startsWith('@fargate-mirror/')) alias[name] = index;
  }
  return alias;
}

function bundle(entry: string, outfile: string, format: 'esm' | 'cjs'): void {
  const esbuild = loadEsbuild();
  try {
    esbuild.buildSync({
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: 'node',
      target: 'node22',
      format,
      legalComments: 'none',
      logLevel: 'error',
      alias: workspaceAliases(),
      define: { [VERSION_DEFINE]: JSON.stringify(receiverCliVersion()) },
      // CommonJS dependencies inside an ESM bundle still call require().
      ...(format === 'esm'
        ? {
            banner: {
              js: "import { createRequire as __fmCreateRequire } from 'node:module'; const require = __fmCreateRequire(import.meta.url);",
            },
          }
        : {}),
    });
  } catch (cause) {
    throw new BundlingFailedError(`esbuild could not bundle ${entry}: ${(cause as Error).message}`, {
      cause,
    });
  }
}

/**
 * Bundles the `fargate-mirror` CLI (packages/cli/src/bin.ts and every dependency) into one ESM file
 * with esbuild, at synth time and without Docker. The instance needs no npm and no internet: it
 * copies the file (and the worker, below) from S3 and runs it with Node.
 */
export function bundleReceiverCli(outputDir: string): void {
  const entry = requireSource(repoPath('packages', 'cli', 'src', 'bin.ts'), 'the fargate-mirror CLI entry');
  mkdirSync(outputDir, { recursive: true });
  bundle(entry, join(outputDir, RECEIVER_BUNDLE_FILE), 'esm');
}

/**
 * Bundles the receive worker thread's entry (packages/receiver/src/live/worker-main.ts), which the
 * CLI bundle cannot contain: Node starts it from its own file. CommonJS, because a `.js` file with
 * no package.json `"type": "module"` beside it is CommonJS to every Node 22 and later.
 */
export function bundleReceiverWorker(outputDir: string): void {
  const entry = requireSource(
    repoPath('packages', 'receiver', 'src', 'live', 'worker-main.ts'),
    'the receive worker entry',
  );
  mkdirSync(outputDir, { recursive: true });
  bundle(entry, join(outputDir, RECEIVER_WORKER_FILE), 'cjs');
}

function singleFileAsset(
  scope: Construct,
  id: string,
  sourceDir: string,
  bundleInto: (outputDir: string) => void,
): Asset {
  return new Asset(scope, id, {
    path: requireSource(sourceDir, 'the fargate-mirror package sources'),
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Only used if local bundling is impossible; local bundling throws instead of returning false.
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22-slim'),
      outputType: BundlingOutput.SINGLE_FILE,
      local: {
        tryBundle(outputDir: string): boolean {
          bundleInto(outputDir);
          return true;
        },
      },
    },
  });
}

/** The S3 asset holding the bundled receiver CLI (a single .mjs file). */
export function receiverCliAsset(scope: Construct, id: string): Asset {
  return singleFileAsset(scope, id, repoPath('packages', 'cli'), bundleReceiverCli);
}

/** The S3 asset holding the bundled receive worker (a single .js file, installed beside the CLI). */
export function receiverWorkerAsset(scope: Construct, id: string): Asset {
  return singleFileAsset(scope, id, repoPath('packages', 'receiver'), bundleReceiverWorker);
}
