// The attack run (scripts/attack) times the slow-client cut-off against the services' default request
// timeout, which it cannot read from a running stack: this keeps its copy equal to the services' own.
import { baseEnvSchema } from '@oncepay/service-runtime';
import { DEFAULT_REQUEST_TIMEOUT_MS } from '../scripts/attack/attacks';

it("expects the services' default HTTP_REQUEST_TIMEOUT_MS", () => {
  expect(baseEnvSchema.shape.HTTP_REQUEST_TIMEOUT_MS.parse(undefined)).toBe(DEFAULT_REQUEST_TIMEOUT_MS);
});
