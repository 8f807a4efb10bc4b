// Proves the real transfer-service serves a valid OpenAPI 3.1 document at /docs/openapi.json without an
// API key, describing exactly its endpoints with every status they answer, the idempotency contract,
// money as strings with the contracts' pattern, and a real transfer and hold that match their documented schema.
import { amountMinorSchema } from '@oncepay/contracts';
import {
  describeServedOpenApi,
  operationsOf,
  requestJson,
  schemaErrors,
  TEST_CLIENTS,
} from '@oncepay/test-support';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AppModule } from './app.module';
import { buildOpenApiDocument } from './openapi';

/** What a step on one transfer (capture, void, refund) can answer. */
const STEP_STATUSES = ['202', '400', '401', '404', '409', '413', '415', '422', '429', '503'];

describeServedOpenApi('transfer', AppModule.withEnvironment, buildOpenApiDocument, (served) => {
  it('describes exactly the endpoints the service has, with every status they answer', () => {
    expect(operationsOf(served.document)).toEqual({
      'GET /health': ['200', '503'],
      'GET /health/live': ['200', '503'],
      'GET /health/ready': ['200', '503'],
      'GET /metrics': ['200'],
      'POST /v1/transfers': ['202', '400', '401', '413', '415', '422', '429', '503'],
      'GET /v1/transfers': ['200', '400', '401', '429', '503'],
      'GET /v1/transfers/{id}': ['200', '400', '401', '404', '429', '503'],
      'POST /v1/transfers/{id}/capture': STEP_STATUSES,
      'POST /v1/transfers/{id}/void': STEP_STATUSES,
      'POST /v1/transfers/{id}/refunds': STEP_STATUSES,
      'GET /v1/transfers/{id}/refunds': ['200', '400', '401', '404', '429', '503'],
      'GET /v1/ops/transfers/{transferId}/trail': ['200', '400', '401', '403', '404', '429', '503'],
    });
  });

  it('documents the idempotency contract: the key header, Location and Idempotent-Replayed', () => {
    const { paths = {}, components = {} } = served.document;
    const post = paths['/v1/transfers']?.post;
    expect(post?.parameters).toEqual([{ $ref: '#/components/parameters/IdempotencyKey' }]);
    expect(components.parameters?.IdempotencyKey).toMatchObject({
      name: 'Idempotency-Key',
      in: 'header',
      required: true,
    });
    expect(Object.keys(post?.responses?.['202']?.headers ?? {})).toEqual(['Location', 'Idempotent-Replayed']);
    expect(post?.responses?.['422']?.content).toHaveProperty(['application/problem+json']);
    const listParameters = paths['/v1/transfers']?.get?.parameters ?? [];
    expect(
      listParameters.map((parameter) => ('name' in parameter ? parameter.name : parameter.$ref)),
    ).toEqual(['status', 'accountId', 'limit', 'cursor']);
  });

  it('documents every amount as a string with the pattern of contracts amountMinorSchema', () => {
    const contractPattern = z.toJSONSchema(amountMinorSchema, { io: 'input' }).pattern;
    expect(contractPattern).toBe('^[1-9][0-9]*$');
    for (const name of ['RequestTransfer', 'Transfer', 'CaptureHold', 'RefundTransfer']) {
      expect(served.schema(name).properties.amount).toMatchObject({
        type: 'string',
        pattern: contractPattern,
      });
    }
    expect(served.schema('Transfer').properties.amount).toMatchObject({
      description: expect.stringContaining('minor units'),
    });
  });

  it('describes a real transfer: it matches the Transfer schema, and a page matches TransferPage', async () => {
    const response = await requestJson(served.baseUrl, 'POST', '/v1/transfers', {
      headers: { ...TEST_CLIENTS.a.auth, 'idempotency-key': randomUUID() },
      body: { fromAccountId: randomUUID(), toAccountId: randomUUID(), amount: '1500', currency: 'EUR' },
    });
    expect(response.status).toBe(202);
    expect(schemaErrors(served.document, 'Transfer', response.body)).toEqual([]);
    expect(schemaErrors(served.document, 'Transfer', { ...(response.body as object), amount: 1500 })).toEqual(
      ['/amount must be string'],
    );

    const hold = await requestJson(served.baseUrl, 'POST', '/v1/transfers', {
      headers: { ...TEST_CLIENTS.a.auth, 'idempotency-key': randomUUID() },
      body: {
        fromAccountId: randomUUID(),
        toAccountId: randomUUID(),
        amount: '1500',
        currency: 'EUR',
        hold: { expiresInSeconds: 60 },
      },
    });
    expect(hold.body).toMatchObject({ kind: 'HOLD', holdExpiresAt: expect.any(String) });
    expect(schemaErrors(served.document, 'Transfer', hold.body)).toEqual([]);

    const page = await requestJson(served.baseUrl, 'GET', '/v1/transfers', { headers: TEST_CLIENTS.a.auth });
    expect(page.status).toBe(200);
    expect((page.body as { data: unknown[] }).data).not.toHaveLength(0);
    expect(schemaErrors(served.document, 'TransferPage', page.body)).toEqual([]);
  });
  it("serves a transfer's trail as documented, empty for a transfer it does not know", async () => {
    const transferId = randomUUID();
    const trail = await requestJson(served.baseUrl, 'GET', `/v1/ops/transfers/${transferId}/trail`, {
      headers: TEST_CLIENTS.operator.auth,
    });
    expect(trail.status).toBe(200);
    expect(trail.body).toEqual({ service: 'transfer', transferId, entries: [] });
    expect(schemaErrors(served.document, 'Trail', trail.body)).toEqual([]);
    expect(
      schemaErrors(served.document, 'Trail', { ...(trail.body as object), service: 'other' }),
    ).not.toEqual([]);
  });
});
