import { describe, expect, it } from '@jest/globals';
import { fixture } from '../fixtures';
import { HttpApiRequestSchema } from './http-request';

describe('HttpApiRequestSchema', () => {
  it('parses the documented payload 2.0 request with its IAM caller', () => {
    const request = HttpApiRequestSchema.parse(fixture('apigateway/http-api-iam.json'));

    expect(request.requestContext.authorizer?.iam?.userArn).toBe('arn:aws:iam::111122223333:user/example-user');
    expect(request.requestContext.http.method).toBe('POST');
    expect(request.body).toBe('Hello from Lambda');
  });

  it('parses a request without a body, query or authorizer', () => {
    const event = fixture('apigateway/http-api-iam.json');
    delete event.body;
    delete event.queryStringParameters;
    delete event.requestContext.authorizer;

    const request = HttpApiRequestSchema.parse(event);

    expect(request.body).toBeUndefined();
    expect(request.requestContext.authorizer).toBeUndefined();
  });

  it('rejects payload format 1.0, naming the field', () => {
    const event = fixture('apigateway/http-api-iam.json');
    event.version = '1.0';

    const parsed = HttpApiRequestSchema.safeParse(event);

    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['version']);
  });
});
