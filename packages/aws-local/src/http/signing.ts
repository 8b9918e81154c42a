/**
 * What the emulator takes from a SigV4 request: the region and service from the credential
 * scope (`Credential=AKID/20240101/us-east-1/ec2/aws4_request`). Signatures are not verified.
 */
export interface SigningScope {
  region?: string;
  service?: string;
  /** The access key id that signed (a session's, when STS issued it). */
  accessKeyId?: string;
}

export function signingScope(authorization: string | undefined): SigningScope {
  if (!authorization) return {};
  const match = /Credential=([^/,\s]+)\/\d{8}\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request/.exec(authorization);
  if (!match) return {};
  return { accessKeyId: match[1], region: match[2], service: match[3] };
}

/** A region named by an AWS-style host (`ec2.eu-west-1.amazonaws.com`), if any. */
export function hostRegion(host: string | undefined): string | undefined {
  if (!host) return undefined;
  return /(?:^|\.)([a-z]{2}(?:-gov)?-[a-z]+-\d)\./.exec(host)?.[1];
}
