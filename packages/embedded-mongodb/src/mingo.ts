import { Aggregator as BaseAggregator } from 'mingo/aggregator';
import { Context } from 'mingo/core';
import * as accumulatorOperators from 'mingo/operators/accumulator';
import * as expressionOperators from 'mingo/operators/expression';
import * as pipelineOperators from 'mingo/operators/pipeline';
import * as projectionOperators from 'mingo/operators/projection';
import * as queryOperators from 'mingo/operators/query';
import * as windowOperators from 'mingo/operators/window';
import { Query as BaseQuery } from 'mingo/query';
import type { AnyObject, Criteria, Options, Projection } from 'mingo/types';
import { update as baseUpdate, type Modifier } from 'mingo/updater';
import { $convert, $toObjectId } from './expression-operators';

/**
 * mingo, with the engine's operators in place of mingo's where MongoDB's answer differs. The
 * package's own entry point puts its operators first (ours could only add new ones), so the engine
 * builds its Query and Aggregator from mingo's base classes with one complete context of its own.
 */
const ENGINE_CONTEXT = Context.init({
  accumulator: accumulatorOperators,
  expression: { ...expressionOperators, $convert, $toObjectId },
  pipeline: pipelineOperators,
  projection: projectionOperators,
  query: queryOperators,
  window: windowOperators,
});

function withEngineContext(options: Partial<Options> = {}): Partial<Options> {
  return { ...options, context: ENGINE_CONTEXT };
}

export class Query<T extends AnyObject = AnyObject> extends BaseQuery<T> {
  constructor(condition: Criteria<T>, options?: Partial<Options>) {
    super(condition, withEngineContext(options));
  }
}

export class Aggregator extends BaseAggregator {
  constructor(pipeline: AnyObject[], options?: Partial<Options>) {
    super(pipeline, withEngineContext(options));
  }
}

export function find<T extends AnyObject>(
  collection: T[],
  condition: Criteria<T>,
  projection?: Projection<T>,
  options?: Partial<Options>,
) {
  return new Query<T>(condition, options).find<T>(collection, projection);
}

export function update<T extends AnyObject>(
  obj: T,
  modifier: Modifier<T>,
  arrayFilters?: AnyObject[],
  condition?: Criteria<T>,
  options?: Parameters<typeof baseUpdate>[4],
): string[] {
  return baseUpdate(obj, modifier, arrayFilters, condition, {
    ...options,
    queryOptions: withEngineContext(options?.queryOptions),
  });
}
