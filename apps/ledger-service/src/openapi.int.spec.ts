// Proves the real ledger-service serves a valid OpenAPI 3.1 document at /docs/openapi.json without an
// API key, describing exactly its endpoints with every status they answer, entry amounts with the
// contracts' pattern, balances as signed strings and held amounts as unsigned ones, and a real account
// and entries page that match their documented schemas.
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
import { BALANCE_PATTERN, buildOpenApiDocument, HELD_AMOUNT_PATTERN } from './openapi';

describeServedOpenApi('ledger', AppModule.withEnvironment, buildOpenApiDocument, (served) => {
  it('describes exactly the endpoints the service has, with every status they answer', () => {
    expect(operationsOf(served.document)).toEqual({
      'GET /health': ['200', '503'],
      'GET /health/live': ['200', '503'],
      'GET /health/ready': ['200', '503'],
      'GET /metrics': ['200'],
      'POST /v1/accounts': ['200', '201', '400', '401', '403', '413', '415', '422', '429', '503'],
      'GET /v1/accounts/{id}': ['200', '400', '401', '404', '429', '503'],
      'GET /v1/accounts/{id}/entries': ['200', '400', '401', '404', '429', '503'],
      'GET /v1/ops/transfers/{transferId}/trail': ['200', '400', '401', '403', '404', '429', '503'],
    });
    const opened = served.document.paths?.['/v1/accounts']?.post?.responses?.['201'];
    expect(Object.keys(opened?.headers ?? {})).toEqual(['Location']);
  });

  it('documents entry amounts with the contracts pattern, and balances as signed strings of minor units', () => {
    const contractPattern = z.toJSONSchema(amountMinorSchema, { io: 'input' }).pattern;
    expect(contractPattern).toBe('^[1-9][0-9]*$');
    expect(served.schema('Entry').properties.amount).toMatchObject({
      type: 'string',
      pattern: contractPattern,
    });
    const balance = served.schema('Account').properties.balance;
    expect(balance).toMatchObject({ type: 'string', pattern: BALANCE_PATTERN.source });
    const matches = (value: string) => new RegExp(balance?.pattern ?? '(?!)').test(value);
    expect(['0', '1500', '-1500', '9223372036854775807'].every(matches)).toBe(true);
    expect(['', '-0', '01', '1.5', '+1', '1e3', ' 1'].some(matches)).toBe(false);
    expect(served.schema('Account').properties.availableBalance).toMatchObject({
      type: 'string',
      pattern: BALANCE_PATTERN.source,
    });
    const held = served.schema('Account').properties.heldAmount;
    expect(held).toMatchObject({ type: 'string', pattern: HELD_AMOUNT_PATTERN.source });
    const isHeld = (value: string) => new RegExp(held?.pattern ?? '(?!)').test(value);
    expect(['0', '2500', '9223372036854775807'].every(isHeld)).toBe(true);
    expect(['', '-1', '-0', '01', '1.5'].some(isHeld)).toBe(false);
  });

  it('describes a real account and entries page: each matches its documented schema', async () => {
    const opened = await requestJson(served.baseUrl, 'POST', '/v1/accounts', {
      headers: { ...TEST_CLIENTS.a.auth, 'idempotency-key': randomUUID() },
      body: { currency: 'EUR' },
    });
    expect(opened.status).toBe(201);
    expect(schemaErrors(served.document, 'Account', opened.body)).toEqual([]);
    expect(schemaErrors(served.document, 'Account', { ...(opened.body as object), balance: '-0' })).toEqual([
      `/balance must match pattern "${BALANCE_PATTERN.source}"`,
    ]);
    expect(
      schemaErrors(served.document, 'Account', { ...(opened.body as object), heldAmount: '-1' }),
    ).toEqual([`/heldAmount must match pattern "${HELD_AMOUNT_PATTERN.source}"`]);

    const { id } = opened.body as { id: string };
    const entries = await requestJson(served.baseUrl, 'GET', `/v1/accounts/${id}/entries`, {
      headers: TEST_CLIENTS.a.auth,
    });
    expect(entries.status).toBe(200);
    expect(schemaErrors(served.document, 'EntryPage', entries.body)).toEqual([]);
  });
  it("serves a transfer's trail as documented, empty for a transfer it does not know", async () => {
    const transferId = randomUUID();
    const trail = await requestJson(served.baseUrl, 'GET', `/v1/ops/transfers/${transferId}/trail`, {
      headers: TEST_CLIENTS.operator.auth,
    });
    expect(trail.status).toBe(200);
    expect(trail.body).toEqual({ service: 'ledger', transferId, entries: [] });
    expect(schemaErrors(served.document, 'Trail', trail.body)).toEqual([]);
    expect(
      schemaErrors(served.document, 'Trail', { ...(trail.body as object), service: 'other' }),
    ).not.toEqual([]);
  });
});
