// Proves the shared HTTP edge answers every failure as RFC 9457 problem+json: expected problems with
// their code, malformed JSON or a body that is not UTF-8 (400), URLs refused before routing (400, 414),
// what the HTTP parser refuses (400, 431) or a request too slow to arrive (408), oversized bodies (413),
// bodies that are not JSON (415), invalid input (400 listing each issue), a missing or wrong API key
// (401), unknown routes (404), and unexpected errors as a bare 500 without a stack trace.
import { Body, Controller, Get, Module, Param, Post, UseGuards, type INestApplication } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { amountMinorSchema } from '@oncepay/contracts';
import { z } from 'zod';
import { ApiKeyGuard, ClientId } from './api-key.guard';
import { apiKeysSchema } from './api-keys';
import { configureHttp, createHttpAdapter, MAX_BODY_BYTES } from './http';
import { PROBLEM_CONTENT_TYPE, ProblemException } from './problem-details';
import { ZodValidationPipe } from './zod-validation.pipe';
import net from 'node:net';

const paymentSchema = z.object({ amount: amountMinorSchema }).strict();

@Controller('probe')
class ProbeController {
  @Post('echo')
  echo(@Body() body: unknown): unknown {
    return body;
  }

  @Get('items/:id')
  item(@Param('id') id: string): unknown {
    return { id };
  }

  @Get('expected')
  expected(): never {
    throw new ProblemException(422, 'INSUFFICIENT_FUNDS', 'Not enough money', 'Balance is 10, amount is 20', {
      balanceMinor: '10',
    });
  }

  @Post('pay')
  @UseGuards(ApiKeyGuard)
  pay(
    @ClientId() clientId: string,
    @Body(new ZodValidationPipe(paymentSchema)) body: z.infer<typeof paymentSchema>,
  ): unknown {
    return { clientId, amount: body.amount.toString() };
  }

  @Get('bug')
  bug(): never {
    throw new TypeError('secret internals at /srv/app.js:42');
  }

  /** What node-postgres throws for a NUL in a text value, wrapped as Prisma's driver adapter wraps it. */
  @Get('unstorable')
  unstorable(): never {
    const refused = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), {
      code: '22021',
    });
    throw new Error('query failed', { cause: { originalCode: refused.code, cause: refused } });
  }
}

@Module({
  imports: [
    ConfigModule.forRoot({
      ignoreEnvFile: true,
      skipProcessEnv: true,
      validatePredefined: false,
      load: [
        () => ({
          API_KEYS: apiKeysSchema.parse(
            'client-a:client:key-of-client-a-000001,client-b:client:key-of-client-b-000002',
          ),
        }),
      ],
    }),
  ],
  controllers: [ProbeController],
  providers: [ApiKeyGuard],
})
class ProbeModule {}

describe('HTTP problem details', () => {
  let app: INestApplication;
  let baseUrl: string;

  beforeAll(async () => {
    app = await NestFactory.create(ProbeModule, createHttpAdapter(), { logger: false, bodyParser: false });
    await configureHttp(app);
    await app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  });
  afterAll(() => app.close());

  async function call(
    path: string,
    init?: RequestInit,
  ): Promise<{ status: number; type: string | null; body: Record<string, unknown> }> {
    const response = await fetch(baseUrl + path, init);
    return {
      status: response.status,
      type: response.headers.get('content-type'),
      body: (await response.json()) as Record<string, unknown>,
    };
  }

  const postJson = (body: string): RequestInit => ({
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });

  it('passes a well-formed body through', async () => {
    expect(await call('/probe/echo', postJson('{"a":1}'))).toMatchObject({ status: 201, body: { a: 1 } });
  });

  it('answers an expected problem with its status, code, type and extensions', async () => {
    const { status, type, body } = await call('/probe/expected');
    expect(status).toBe(422);
    expect(type).toContain(PROBLEM_CONTENT_TYPE);
    expect(body).toEqual({
      type: 'https://oncepay.dev/problems/insufficient-funds',
      code: 'INSUFFICIENT_FUNDS',
      title: 'Not enough money',
      detail: 'Balance is 10, amount is 20',
      status: 422,
      balanceMinor: '10',
      instance: '/probe/expected',
    });
  });

  it('takes an empty body sent as JSON for no body at all', async () => {
    // The echo route answers what it was given: nothing, so the answer is empty too.
    const response = await fetch(`${baseUrl}/probe/echo`, postJson(''));
    expect(response.status).toBe(201);
    expect(await response.text()).toBe('');
  });

  it('answers malformed JSON with 400 MALFORMED_JSON', async () => {
    const { status, type, body } = await call('/probe/echo', postJson('{"a":'));
    expect({ status, code: body.code }).toEqual({ status: 400, code: 'MALFORMED_JSON' });
    expect(type).toContain(PROBLEM_CONTENT_TYPE);
  });

  it('answers a path it cannot decode with 400 MALFORMED_URL, a problem like any other', async () => {
    const { status, type, body } = await call('/probe/%zz');
    expect({ status, code: body.code, instance: body.instance }).toEqual({
      status: 400,
      code: 'MALFORMED_URL',
      instance: '/probe/%zz',
    });
    expect(type).toContain(PROBLEM_CONTENT_TYPE);
  });

  it('answers a path parameter over the length limit with 414 URI_TOO_LONG, not a 500', async () => {
    const { status, type, body } = await call(`/probe/items/${'x'.repeat(101)}`);
    expect({ status, code: body.code }).toEqual({ status: 414, code: 'URI_TOO_LONG' });
    expect(type).toContain(PROBLEM_CONTENT_TYPE);
  });

  it('answers an oversized body with 413 before parsing it', async () => {
    const big = JSON.stringify({ padding: 'x'.repeat(MAX_BODY_BYTES) });
    const { status, body } = await call('/probe/echo', postJson(big));
    expect({ status, code: body.code }).toEqual({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
  });

  it.each([
    ['text/plain', 'amount=1'],
    ['application/x-www-form-urlencoded', 'amount=1'],
  ])('answers a %s body with 415 UNSUPPORTED_MEDIA_TYPE', async (contentType, body) => {
    const {
      status,
      type,
      body: problem,
    } = await call('/probe/echo', {
      method: 'POST',
      headers: { 'content-type': contentType },
      body,
    });
    expect({ status, code: problem.code }).toEqual({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
    expect(type).toContain(PROBLEM_CONTENT_TYPE);
  });

  it('takes application/*+json and a charset parameter as JSON', async () => {
    const as = (contentType: string) =>
      call('/probe/echo', { method: 'POST', headers: { 'content-type': contentType }, body: '{"a":2}' });
    expect(await as('application/merge-patch+json')).toMatchObject({ status: 201, body: { a: 2 } });
    expect(await as('application/json; charset=utf-8')).toMatchObject({ status: 201, body: { a: 2 } });
  });

  it('refuses a body that is not UTF-8 with 400 MALFORMED_JSON, sized or chunked, and never alters one', async () => {
    // 0xE4 is "ä" in Latin-1; as UTF-8 it is no character at all.
    const latin1 = Buffer.from('{"reference":"M\xE4rz"}', 'latin1');
    const sized = await call('/probe/echo', {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=latin1' },
      body: latin1,
    });
    const chunked = await call('/probe/echo', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new Blob([latin1]).stream(),
      duplex: 'half',
    } as RequestInit);
    for (const refused of [sized, chunked]) {
      expect(refused).toMatchObject({ status: 400, body: { code: 'MALFORMED_JSON' } });
      expect(refused.body.detail).toContain('not UTF-8');
      expect(refused.type).toContain(PROBLEM_CONTENT_TYPE);
    }
    expect(await call('/probe/echo', postJson('{"reference":"März 💶"}'))).toMatchObject({
      status: 201,
      body: { reference: 'März 💶' },
    });
  });

  it('echoes a sane X-Correlation-Id and assigns one otherwise', async () => {
    const given = await fetch(`${baseUrl}/probe/echo`, {
      ...postJson('{}'),
      headers: { 'content-type': 'application/json', 'x-correlation-id': 'trace-42' },
    });
    expect(given.headers.get('x-correlation-id')).toBe('trace-42');
    const assigned = await fetch(`${baseUrl}/probe/echo`, postJson('{}'));
    expect(assigned.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers an unknown route with 404 problem+json', async () => {
    const { status, type, body } = await call('/nowhere');
    expect({ status, code: body.code }).toEqual({ status: 404, code: 'NOT_FOUND' });
    expect(type).toContain(PROBLEM_CONTENT_TYPE);
  });

  it('answers a method the path does not have with 405 problem+json and Allow', async () => {
    for (const [method, path, allow] of [
      ['DELETE', '/probe/echo', 'POST'],
      ['PATCH', '/probe/expected', 'GET, HEAD'],
      ['PUT', '/probe/expected?x=1', 'GET, HEAD'],
    ] as const) {
      const response = await fetch(`${baseUrl}${path}`, { method });
      expect({ method, status: response.status, allow: response.headers.get('allow') }).toEqual({
        method,
        status: 405,
        allow,
      });
      expect(response.headers.get('content-type')).toContain(PROBLEM_CONTENT_TYPE);
      expect(await response.json()).toMatchObject({ code: 'METHOD_NOT_ALLOWED' });
    }
    expect((await fetch(`${baseUrl}/probe/nothing-here`, { method: 'DELETE' })).status).toBe(404);
    // A near miss of a route under its own method is not a 405 naming that method as allowed.
    expect((await fetch(`${baseUrl}/probe/expected/`)).status).toBe(404);
  });

  it('answers a bug with a bare 500 that leaks nothing', async () => {
    const { status, body } = await call('/probe/bug');
    expect(status).toBe(500);
    expect(body).toEqual({
      type: 'https://oncepay.dev/problems/internal-error',
      code: 'INTERNAL_ERROR',
      title: 'Internal server error',
      status: 500,
      instance: '/probe/bug',
    });
    expect(JSON.stringify(body)).not.toContain('secret');
  });

  it('answers a value PostgreSQL refused (SQLSTATE class 22) with 400 INVALID_VALUE, as a backstop', async () => {
    const { status, body } = await call('/probe/unstorable');
    expect({ status, code: body.code }).toEqual({ status: 400, code: 'INVALID_VALUE' });
    expect(JSON.stringify(body)).not.toContain('0x00');
  });

  /** The raw answer to raw bytes: what the server wrote before it closed the connection. */
  function exchange(url: string, request: string): Promise<{ head: string; body: Record<string, unknown> }> {
    const { port } = new URL(url);
    return new Promise((resolve) => {
      const socket = net.connect(Number(port), '127.0.0.1');
      let received = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (received += chunk));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        const [head = '', body = ''] = received.split('\r\n\r\n');
        resolve({ head, body: body === '' ? {} : (JSON.parse(body) as Record<string, unknown>) });
      });
      socket.write(request);
    });
  }

  it.each([
    ['headers over 16 KiB', `X-Padding: ${'x'.repeat(20_000)}\r\n`, 431, 'HEADERS_TOO_LARGE'],
    ['a control byte in a header value', 'Idempotency-Key: a\x01b\r\n', 400, 'MALFORMED_REQUEST'],
    ['a Content-Length that is no number', 'Content-Length: abc\r\n', 400, 'MALFORMED_REQUEST'],
  ])('answers %s, refused by the HTTP parser, with a problem and closes', async (_, header, status, code) => {
    const { head, body } = await exchange(
      baseUrl,
      `POST /probe/echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n${header}\r\n{}`,
    );
    expect(head).toMatch(new RegExp(`^HTTP/1.1 ${status} `));
    expect(head).toMatch(/\r\nContent-Type: application\/problem\+json\r\n/i);
    expect(head).toMatch(/\r\nConnection: close(\r\n|$)/i);
    expect(body).toMatchObject({
      status,
      code,
      type: `https://oncepay.dev/problems/${code.toLowerCase().replace(/_/g, '-')}`,
    });
  });

  it('answers a request that takes longer than the timeout to arrive with 408 REQUEST_TIMEOUT and closes', async () => {
    const slow = await NestFactory.create(ProbeModule, createHttpAdapter(), {
      logger: false,
      bodyParser: false,
    });
    await configureHttp(slow, { requestTimeoutMs: 500, rateLimit: null });
    await slow.listen(0, '127.0.0.1');
    try {
      const url = `http://127.0.0.1:${(slow.getHttpServer().address() as { port: number }).port}`;
      const { head, body } = await exchange(
        url,
        'POST /probe/echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{',
      );
      expect(head).toMatch(/^HTTP\/1.1 408 /);
      expect(body).toMatchObject({ status: 408, code: 'REQUEST_TIMEOUT' });
    } finally {
      await slow.close();
    }
  });

  describe('authentication and validation', () => {
    const pay = (body: string, authorization?: string) =>
      call('/probe/pay', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body,
      });

    it('identifies the client by its API key and hands the handler a parsed bigint', async () => {
      expect(await pay('{"amount":"9223372036854775807"}', 'Bearer key-of-client-b-000002')).toMatchObject({
        status: 201,
        body: { clientId: 'client-b', amount: '9223372036854775807' },
      });
    });

    it('takes the scheme in any case (RFC 9110: auth schemes are case-insensitive)', async () => {
      for (const scheme of ['bearer', 'BEARER'])
        expect(await pay('{"amount":"1"}', `${scheme} key-of-client-b-000002`)).toMatchObject({
          status: 201,
          body: { clientId: 'client-b' },
        });
    });

    it.each([
      ['no header', undefined],
      ['an unknown key', 'Bearer not-a-real-key-000000'],
      ['another scheme', 'Basic key-of-client-a-000001'],
    ])('answers 401 UNAUTHORIZED for %s', async (_, authorization) => {
      const { status, type, body } = await pay('{"amount":"1"}', authorization);
      expect({ status, code: body.code }).toEqual({ status: 401, code: 'UNAUTHORIZED' });
      expect(type).toContain(PROBLEM_CONTENT_TYPE);
    });

    it.each([
      ['a zero amount', '{"amount":"0"}', 'amount'],
      ['a negative amount', '{"amount":"-1"}', 'amount'],
      ['a fractional amount', '{"amount":"1.5"}', 'amount'],
      ['a numeric amount', '{"amount":100}', 'amount'],
      ['an amount over 2^63-1', '{"amount":"9223372036854775808"}', 'amount'],
      ['an unknown field', '{"amount":"1","extra":true}', ''],
    ])('answers 400 VALIDATION_ERROR for %s', async (_, json, path) => {
      const { status, body } = await pay(json, 'Bearer key-of-client-a-000001');
      expect({ status, code: body.code }).toEqual({ status: 400, code: 'VALIDATION_ERROR' });
      expect(body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
    });
  });
});
