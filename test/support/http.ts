// Calls a test service's HTTP API raw: JSON in, status, content type and JSON out. Cross-service tests
// make well-formed calls with the typed @oncepay/client; this stays for what the typed client cannot
// send (malformed JSON, a wrong type, a missing header) and for the services' own specs, since no
// service may import the client (LAYERS in eslint.config.js).

export interface JsonResponse {
  status: number;
  contentType: string | null;
  headers: Headers;
  /** The parsed JSON body; null for an empty body. */
  body: unknown;
}

/** Sends `body` as JSON (a string is sent as it is, to test malformed input) and parses the answer. */
export async function requestJson(
  baseUrl: string,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  options: { headers?: Record<string, string>; body?: unknown } = {},
): Promise<JsonResponse> {
  const hasBody = options.body !== undefined;
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { ...(hasBody ? { 'content-type': 'application/json' } : {}), ...options.headers },
    ...(hasBody
      ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }
      : {}),
  });
  const text = await response.text();
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    headers: response.headers,
    body: text === '' ? null : JSON.parse(text),
  };
}
