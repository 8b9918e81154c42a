import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { AssetHashType, BundlingOutput, DockerImage } from 'aws-cdk-lib';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import type { Construct } from 'constructs';
import { BundlingFailedError } from '../errors.js';
import { repoPath, requireSource } from './repo-paths.js';

/** The file name of the bundled CLI on the instance and in the asset. */
export const RECEIVER_BUNDLE_FILE = 'fargate-mirror.mjs';

interface EsbuildLike {
  buildSync(options: Record<string, unknown>): unknown;
}

/**
 * Bundles the `fargate-mirror` CLI (packages/cli/src/bin.ts and every dependency) into one ESM file
 * with esbuild, at synth time and without Docker. One file means the instance needs no npm and no
 * internet: it copies the file from S3 and runs it with Node.
 */
export function bundleReceiverCli(outputDir: string): void {
  const require = createRequire(import.meta.url);
  let esbuild: EsbuildLike;
  try {
    esbuild = require('esbuild') as EsbuildLike;
  } catch (cause) {
    throw new BundlingFailedError('esbuild is needed to bundle the receiver: npm i -D esbuild', { cause });
  }
  const entry = requireSource(repoPath('packages', 'cli', 'src', 'bin.ts'), 'the fargate-mirror CLI entry');
  mkdirSync(outputDir, { recursive: true });
  // workspace imports (`@fargate-mirror/wire`, ...) resolve to the sibling package's TypeScript
  // source, so the bundle never depends on a stale or missing dist/ (buildSync cannot run plugins).
  const alias: Record<string, string> = {};
  for (const name of ['wire', 'receiver', 'aws-local', 'controller', 'forwarder']) {
    const index = repoPath('packages', name, 'src', 'index.ts');
    try {
      alias[`@fargate-mirror/${name}`] = requireSource(index, name);
    } catch {
      // a package the CLI does not import may not exist yet; esbuild reports any unresolved import.
    }
  }
  try {
    esbuild.buildSync({
      entryPoints: [entry],
      outfile: join(outputDir, RECEIVER_BUNDLE_FILE),
      bundle: true,
      platform: 'node',
      target: 'node22',
      format: 'esm',
      legalComments: 'none',
      logLevel: 'error',
      alias,
      // CommonJS dependencies inside an ESM bundle still call require().
      banner: {
        js: "import { createRequire as __fmCreateRequire } from 'node:module'; const require = __fmCreateRequire(import.meta.url);",
      },
    });
  } catch (cause) {
    throw new BundlingFailedError(`esbuild could not bundle ${entry}: ${(cause as Error).message}`, {
      cause,
    });
  }
}

/** The S3 asset holding the bundled receiver CLI (a single .mjs file). */
export function receiverCliAsset(scope: Construct, id: string): Asset {
  return new Asset(scope, id, {
    path: requireSource(repoPath('packages', 'cli'), 'the fargate-mirror CLI package'),
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Only used if local bundling is impossible; local bundling throws instead of returning false.
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22-slim'),
      outputType: BundlingOutput.SINGLE_FILE,
      local: {
        tryBundle(outputDir: string): boolean {
          bundleReceiverCli(outputDir);
          return true;
        },
      },
    },
  });
}
