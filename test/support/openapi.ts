// Reading a service's served OpenAPI document in tests: which operations it documents, with which statuses.
import type { OpenApiDocument } from '@oncepay/nest-common';

/** `METHOD /path` -> the status codes it documents, sorted. */
export function operationsOf(document: OpenApiDocument): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, operation]) => [
        `${method.toUpperCase()} ${path}`,
        Object.keys(operation.responses).sort(),
      ]),
    ),
  );
}
