// Byte-for-byte comparison of two backends' tables, for the parity tests.
import { expect } from 'vitest';
import type { RawInetTable, RawUnixTable } from '../../src/model/contract';

export const bytes = (b: ArrayBuffer | ArrayBufferView) =>
  b instanceof ArrayBuffer ? Buffer.from(b) : Buffer.from(b.buffer, b.byteOffset, b.byteLength);

export function sameTable(a: RawInetTable | RawUnixTable, b: RawInetTable | RawUnixTable, what: string) {
  expect(a.capacity, what).toBe(b.capacity);
  expect(a.count, what).toBe(b.count);
  expect(bytes(a.problems).equals(bytes(b.problems)), `${what}: problems`).toBe(true);
  expect(bytes(a.buffer).equals(bytes(b.buffer)), `${what}: columns`).toBe(true);
  if ('pool' in a || 'pool' in b) {
    expect(bytes((a as RawUnixTable).pool).equals(bytes((b as RawUnixTable).pool)), `${what}: path pool`).toBe(true);
  }
}
