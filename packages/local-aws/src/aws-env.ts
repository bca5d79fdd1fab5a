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

/**
 * A Terraform override (`offline_override.tf.json`) that lets a synthesized stack plan without AWS: local
 * state instead of its S3 backend, fake keys, no credentials or account check. For plans that create
 * everything (no data source reads AWS); tests and fixture generators write it beside the stack.
 */
export const OFFLINE_TERRAFORM_OVERRIDE = {
  terraform: { backend: { local: { path: 'terraform.tfstate' } } },
  provider: {
    aws: {
      access_key: 'fake',
      secret_key: 'fake',
      skip_credentials_validation: true,
      skip_requesting_account_id: true,
      skip_metadata_api_check: 'true',
      allowed_account_ids: null,
    },
  },
} as const;
