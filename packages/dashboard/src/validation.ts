/** Turns fastify's ajv errors into one sentence that names the parameter and repeats the value received. */
import type { FastifySchemaValidationError } from 'fastify';

const PLACE: Record<string, string> = {
  querystring: 'query parameter',
  params: 'path parameter',
  body: 'body field',
  headers: 'header',
};

function show(value: unknown): string {
  if (typeof value === 'string') return `'${value.length > 80 ? `${value.slice(0, 80)}…` : value}'`;
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

export function describeValidationError(errors: FastifySchemaValidationError[], dataVar: string): string {
  const error = errors[0];
  const place = PLACE[dataVar] ?? dataVar;
  // '/limit' or '/runs/3': the parameter is the first segment; an array index says which item.
  const segments = (error.instancePath ?? '').split('/').filter(Boolean);
  const name = segments[0];
  const item = segments.length > 1 ? ` (item ${Number(segments[1]) + 1})` : '';
  const params = error.params as Record<string, unknown>;
  const data = (error as { data?: unknown }).data;
  switch (error.keyword) {
    case 'additionalProperties':
      return `unknown ${place} '${String(params.additionalProperty)}'`;
    case 'required':
      return `missing ${place} '${String(params.missingProperty)}'`;
    case 'enum':
      return `${place} '${name}'${item} must be one of ${(params.allowedValues as unknown[]).join(', ')}, received ${show(data)}`;
    case 'pattern':
      return `${place} '${name}'${item} has an unsupported form, received ${show(data)}`;
    default: {
      const subject = name === undefined ? place : `${place} '${name}'${item}`;
      return `${subject} ${error.message ?? 'is invalid'}${data === undefined ? '' : `, received ${show(data)}`}`;
    }
  }
}
