import { ObjectId } from 'bson';
import { evalExpr } from 'mingo/core';
import { $convert as mingoConvert } from 'mingo/operators/expression';
import type { Any, AnyObject, Options } from 'mingo/types';

/**
 * Expression operators where mingo lacks MongoDB's: conversion to an ObjectId. mingo's `$convert`
 * has no `objectId` target and falls back to `onError`, which would be a silently wrong answer
 * (null for a valid id); `$toObjectId` it does not have at all.
 */

const OBJECT_ID_TARGETS = new Set<unknown>(['objectId', 7]);

function toObjectId(value: unknown): ObjectId {
  if (value instanceof ObjectId) return value;
  if (typeof value === 'string' && /^[0-9a-fA-F]{24}$/.test(value)) return new ObjectId(value);
  throw new Error(`Failed to parse objectId '${String(value)}' in $convert with no onError value`);
}

/** A 24-hex-digit string (or an ObjectId) to an ObjectId; null stays null; anything else fails. */
export function $toObjectId(obj: AnyObject, expr: Any, options: Options): Any {
  const value = evalExpr(obj, expr, options);
  if (value === null || value === undefined) return null;
  return toObjectId(value) as unknown as Any;
}

/** mingo's `$convert`, with `to: 'objectId'` (or 7) done as MongoDB does, onError and onNull included. */
export function $convert(obj: AnyObject, expr: Any, options: Options): Any {
  const spec = expr as { input?: Any; to?: Any; onError?: Any; onNull?: Any } | null;
  const target = spec !== null && typeof spec === 'object' ? evalExpr(obj, spec.to, options) : undefined;
  if (!OBJECT_ID_TARGETS.has(target)) return mingoConvert(obj, expr as Parameters<typeof mingoConvert>[1], options);
  const input = evalExpr(obj, spec!.input, options);
  if (input === null || input === undefined) {
    return spec!.onNull === undefined ? null : evalExpr(obj, spec!.onNull, options);
  }
  try {
    return toObjectId(input) as unknown as Any;
  } catch (error) {
    if (spec!.onError === undefined) throw error;
    return evalExpr(obj, spec!.onError, options);
  }
}
