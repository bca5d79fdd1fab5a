/** Environment for AWS SDKs and Terraform talking to a local AWS API: fake keys, one endpoint for all. */
export function localAwsEnv(endpoint: string, region = 'us-east-1'): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    // Never pick up a developer's real profile or SSO session by accident.
    AWS_PROFILE: '',
    AWS_SESSION_TOKEN: '',
  };
}

/** SDK client options for a local AWS API. */
export function localClientConfig(endpoint: string, region = 'us-east-1') {
  return { endpoint, region, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
}
