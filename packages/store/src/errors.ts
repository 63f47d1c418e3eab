import type { StoreErrorCode } from './types.ts';

/** Every error the store raises on purpose; `code` lets an API map it (NOT_FOUND -> 404, INVALID -> 400). */
export class StoreError extends Error {
  readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string) {
    super(message);
    this.name = 'StoreError';
    this.code = code;
  }
}
