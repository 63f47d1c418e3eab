/** Current schema version (PRAGMA user_version). */
export const SCHEMA_VERSION = 1;
