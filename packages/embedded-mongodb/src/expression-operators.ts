import { ObjectId } from 'bson';
import { Context, evalExpr } from 'mingo/core';
import type { Any, AnyObject, Options } from 'mingo/types';

/**
 * Expression operators mingo lacks and MongoDB has, merged over mingo's own by every Query and
 * Aggregator the engine builds (mingo keeps its own operator when both have one).
 */

/** `$toObjectId`: a 24-hex-digit string (or an ObjectId) to an ObjectId; null stays null; anything else fails. */
function $toObjectId(obj: AnyObject, expr: Any, options: Options): Any {
  const value = evalExpr(obj, expr, options);
  if (value === null || value === undefined) return null;
  if (value instanceof ObjectId) return value as unknown as Any;
  if (typeof value === 'string' && /^[0-9a-fA-F]{24}$/.test(value)) return new ObjectId(value) as unknown as Any;
  throw new Error(`Failed to parse objectId '${String(value)}' in $convert with no onError value`);
}

export const ENGINE_CONTEXT = Context.init({ expression: { $toObjectId } });
