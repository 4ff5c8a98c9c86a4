import type { Document } from 'bson';
import { CommandError, ErrorCodes } from './errors';
import type { CollectionOptions } from './persistence-types';
import { unknownField } from './unsupported';
import { parseValidationOptions, validationOptionsOf } from './validation';

/**
 * The collection options create and collMod take and listCollections shows: the validator's
 * (validation.ts), and `changeStreamPreAndPostImages`. The engine has no change streams, so that
 * option changes nothing here, exactly as on a standalone mongod, which has none either and
 * keeps the option all the same.
 */

const PRE_AND_POST_IMAGES = 'changeStreamPreAndPostImages';
const INTERNAL_DATABASES = new Set(['admin', 'local', 'config']);

/** The options a command sets, checked; `where` names the command in errors (create, collMod). */
export function parseCollectionOptions(command: Document, ns: string, where: string): CollectionOptions {
  const options = parseValidationOptions(command, ns);
  if (command[PRE_AND_POST_IMAGES] !== undefined) {
    const enabled = parsePreAndPostImages(command[PRE_AND_POST_IMAGES], where);
    const dbName = ns.slice(0, ns.indexOf('.'));
    if (enabled && INTERNAL_DATABASES.has(dbName)) {
      throw new CommandError(
        ErrorCodes.InvalidOptions,
        'InvalidOptions',
        `${PRE_AND_POST_IMAGES} collection option is not supported on the ${dbName} database`,
      );
    }
    options.changeStreamPreAndPostImages = { enabled };
  }
  return options;
}

/** listCollections' `options`: what was set, as mongod shows it (pre- and post-images only when enabled). */
export function collectionOptionsOf(options: CollectionOptions): Document {
  const shown = validationOptionsOf(options);
  if (options.changeStreamPreAndPostImages?.enabled) shown[PRE_AND_POST_IMAGES] = { enabled: true };
  return shown;
}

function parsePreAndPostImages(value: unknown, where: string): boolean {
  const path = `${where}.${PRE_AND_POST_IMAGES}`;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new CommandError(14, 'TypeMismatch', `BSON field '${path}' is the wrong type, expected type 'object'`);
  }
  const fields = value as Document;
  for (const field of Object.keys(fields)) if (field !== 'enabled') throw unknownField(`${path}.${field}`);
  if (fields.enabled === undefined) {
    throw new CommandError(40414, 'Location40414', `BSON field '${path}.enabled' is missing but a required field`);
  }
  if (typeof fields.enabled !== 'boolean') {
    throw new CommandError(14, 'TypeMismatch', `BSON field '${path}.enabled' is the wrong type, expected type 'bool'`);
  }
  return fields.enabled;
}
