import { readFileSync } from 'node:fs';
import { HecConfigError } from './hec-errors.js';

/** Environment variable holding the HEC token (preferred over config: no secret in files or argv). */
export const HEC_TOKEN_ENV = 'FARGATE_MIRROR_HEC_TOKEN';

/**
 * The HEC token from, in order: `FARGATE_MIRROR_HEC_TOKEN`, a file (`--hec-token-file`, first line),
 * or the configuration. Throws HEC_TOKEN_MISSING naming the three places when none has one.
 */
export function resolveHecToken(
  from: { readonly token?: string; readonly tokenFile?: string },
  env: NodeJS.ProcessEnv = process.env,
): string {
  const fromEnv = env[HEC_TOKEN_ENV]?.trim();
  if (fromEnv) return fromEnv;
  if (from.tokenFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(from.tokenFile, 'utf8');
    } catch (error) {
      throw new HecConfigError(
        'HEC_TOKEN_MISSING',
        `cannot read HEC token file ${from.tokenFile}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    const token = text.split('\n')[0]?.trim();
    if (token) return token;
    throw new HecConfigError('HEC_TOKEN_MISSING', `HEC token file ${from.tokenFile} is empty`);
  }
  if (from.token?.trim()) return from.token.trim();
  throw new HecConfigError(
    'HEC_TOKEN_MISSING',
    `a Splunk HEC URL is set but no token: set ${HEC_TOKEN_ENV}, --hec-token-file FILE, or hec.token in the config`,
  );
}
