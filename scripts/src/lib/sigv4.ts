// SigV4 for API Gateway (`execute-api`): signing a request (the CLI's client) and checking one (the local
// runner's HTTP server), both with the SDK's own signer, so that what is signed and what is checked is what
// API Gateway checks.
import { timingSafeEqual } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

export interface SigningCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

const SERVICE = 'execute-api';
/** AWS refuses a signature older (or further in the future) than this. */
const MAX_SKEW_MS = 15 * 60_000;
const sha256 = Hash.bind(null, 'sha256');

const signer = (region: string, credentials: SigningCredentials) =>
  // applyChecksum off: no x-amz-content-sha256 header, which execute-api does not want (S3 does).
  new SignatureV4({ service: SERVICE, region, credentials, sha256, applyChecksum: false });

const queryOf = (params: URLSearchParams): Record<string, string | string[]> => {
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of params) {
    const seen = query[key];
    query[key] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  return query;
};

/**
 * The headers that sign a request to API Gateway (`host`, `x-amz-date`, `authorization`, and
 * `x-amz-security-token` for temporary credentials), for `fetch`.
 *
 * @example
 * const headers = await signedHeaders({ method: 'GET', url: new URL(`${api}/route-tables/${id}/routes`) }, credentials, 'eu-central-1');
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */
export async function signedHeaders(
  request: { method: string; url: URL; headers?: Record<string, string>; body?: string },
  credentials: SigningCredentials,
  region: string,
  at = new Date(),
): Promise<Record<string, string>> {
  const { url } = request;
  const signed = await signer(region, credentials).sign(
    new HttpRequest({
      method: request.method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query: queryOf(url.searchParams),
      headers: { host: url.host, ...request.headers },
      ...(request.body !== undefined ? { body: request.body } : {}),
    }),
    { signingDate: at },
  );
  return signed.headers;
}

/** Who signed a request, or why it is refused (API Gateway's 403 messages). */
export type Verification = { readonly ok: true; readonly accessKeyId: string } | { readonly ok: false; readonly status: 403; readonly message: string };

const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

/**
 * Checks a request's SigV4 signature as API Gateway does for IAM authorization: the Authorization header's
 * scope (`execute-api`, this Region), the key (`secretOf` knows its secret), the time (within 15 minutes),
 * and the signature over the method, path, query, the signed headers and the body.
 *
 * @example
 * const verdict = await verifySignature({ method, path, query, headers, body }, (key) => key === 'test' ? 'test' : undefined, 'us-east-1');
 */
export async function verifySignature(
  request: { method: string; path: string; query: URLSearchParams; headers: Readonly<Record<string, string | string[] | undefined>>; body: string },
  secretOf: (accessKeyId: string) => string | undefined,
  region: string,
  now = new Date(),
): Promise<Verification> {
  const refuse = (message: string): Verification => ({ ok: false, status: 403, message });
  const header = (name: string) => {
    const value = request.headers[name];
    return Array.isArray(value) ? value.join(',') : value;
  };
  const authorization = header('authorization');
  if (!authorization) return refuse('Missing Authentication Token');
  const match = AUTHORIZATION.exec(authorization);
  if (!match) return refuse(`Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters, signed with AWS4-HMAC-SHA256`);
  const [, accessKeyId, day, scopeRegion, service, signedList, signature] = match as unknown as [string, string, string, string, string, string, string];
  if (service !== SERVICE) return refuse(`Credential should be scoped to correct service: '${SERVICE}'`);
  if (scopeRegion !== region) return refuse(`Credential should be scoped to a valid region, not '${scopeRegion}'`);
  const amzDate = header('x-amz-date');
  const signedAt = amzDate && /^\d{8}T\d{6}Z$/.test(amzDate) ? new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`) : undefined;
  if (!signedAt || amzDate!.slice(0, 8) !== day) return refuse('x-amz-date is missing or does not match the credential scope');
  if (Math.abs(now.getTime() - signedAt.getTime()) > MAX_SKEW_MS) return refuse('Signature expired: the request was signed more than 15 minutes away from now');
  const secret = secretOf(accessKeyId);
  if (secret === undefined) return refuse('The security token included in the request is invalid.');
  const names = signedList.split(';');
  if (!names.includes('host')) return refuse('the signed headers must include host');
  const headers: Record<string, string> = {};
  for (const name of names) headers[name] = header(name) ?? '';
  const { ['x-amz-security-token']: sessionToken } = headers;
  const expected = await signer(region, { accessKeyId, secretAccessKey: secret, ...(sessionToken ? { sessionToken } : {}) }).sign(
    new HttpRequest({ method: request.method, path: request.path, query: queryOf(request.query), headers, body: request.body }),
    { signingDate: signedAt, signableHeaders: new Set(names) },
  );
  const computed = /Signature=([0-9a-f]{64})$/.exec(String(expected.headers.authorization))?.[1] ?? '';
  const same = computed.length === signature.length && timingSafeEqual(Buffer.from(computed), Buffer.from(signature));
  return same
    ? { ok: true, accessKeyId }
    : refuse('The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.');
}
