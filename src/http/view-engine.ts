import path from 'node:path';
import ejs from 'ejs';
import type { Express } from 'express';
import { viewHelpers } from './view-helpers';

export const VIEWS_DIR = path.join(__dirname, '..', '..', 'views');

/**
 * EJS views from views/, with the helpers every view uses (app.locals).
 *
 * Includes name their file from the views folder (`include('/includes/head')`), resolved against
 * `root`: EJS checks a relative include against the file system (fs.existsSync) every time it is
 * included, a dozen system calls per logged-in product list. Express passes no EJS options, so
 * the engine is registered with them.
 */
export function useViews(app: Express, { cache }: { cache: boolean }): void {
  app.set('views', VIEWS_DIR);
  app.set('view engine', 'ejs');
  app.set('view cache', cache);
  // With the cache (production) the templates are compiled without EJS's line tracking, which only
  // serves error messages during development: a tenth of every render.
  app.engine('ejs', (file, data, callback) => {
    ejs.renderFile(file, data, { root: VIEWS_DIR, cache, compileDebug: !cache }, callback);
  });
  Object.assign(app.locals, viewHelpers);
}
