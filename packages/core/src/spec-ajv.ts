/**
 * The one way ajv is set up for specs and plugin option schemas: every error (allErrors) with the data and
 * schema it concerns (verbose, for messages that repeat what was received), defaults filled in, and the
 * annotation keyword `patternHint` (what a `pattern` means, in words, for its error message).
 */
import { Ajv, type Options } from 'ajv';

export function createSpecAjv(options: Options = {}): Ajv {
  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, verbose: true, addUsedSchema: false, ...options });
  ajv.addKeyword({ keyword: 'patternHint', schemaType: 'string' });
  return ajv;
}
