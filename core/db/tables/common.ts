import type { ColumnType, Generated } from 'kysely';

/** A timestamptz the database fills in by default; read back as a Date. */
export type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
export type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
/** jsonb: written as a JSON string or value (pg serialises objects), read back parsed. */
export type Json = ColumnType<unknown, string, string>;
export type Serial = Generated<string>;
/** jsonb with a database default ('{}'): optional on insert. */
export type JsonWithDefault = ColumnType<unknown, string | undefined, string>;
