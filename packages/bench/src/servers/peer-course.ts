/**
 * The bench's peer (g): the session set-up of the classic Node.js course's shop, as the course
 * teaches it, in front of the shop's data and templates.
 *
 *  - express-session with connect-mongodb-session, the library's own store (collection
 *    `sessions`), `resave: false, saveUninitialized: false`, the default cookie;
 *  - CSRF on every POST (csrf-sync, the course's csurf being deprecated), and a token for every page;
 *  - on every request `User.findById(req.session.user._id)`: a full mongoose User as `req.user`;
 *    `res.locals.isAuthenticated` from the session;
 *  - login as the course writes it: `User.findOne({ email })`, `bcrypt.compare`, then
 *    `req.session.isLoggedIn = true; req.session.user = user` (the whole document, as the course
 *    stores it: password hash, cart, timestamps) and a redirect once `req.session.save()` has called
 *    back. The document goes in as JSON: connect-mongodb-session 5 brings the driver of bson 6,
 *    which refuses the bson 7 ObjectIds of mongoose 9's documents ("Unsupported BSON version"), so
 *    the course's line as it stands fails with these versions;
 *  - GET /products: a count and a find per view, no cache (peer-pages.ts), the shop's template.
 *
 * Left out: multer, connect-flash (no page here shows a message), the course's other routes.
 * express.static comes first as in the course, so every page also looks for a file in public/.
 *
 *   SESSION_SECRET=... node --import tsx packages/bench/src/servers/peer-course.ts --port P --uri URI
 */
import bcrypt from 'bcrypt';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import connectMongoDBSession from 'connect-mongodb-session';
import { csrfSync } from 'csrf-sync';
import mongoose from 'mongoose';
import { PUBLIC_DIR, User } from '../shop';
import { loginPage, productList, shopperPageLocals, useErrorPrinter } from './peer-pages';
import { listen, serverArgs, shopPagesApp, start } from './common';

const { port, uri, secret } = serverArgs('peer-course.ts');

/** What the course keeps in its sessions: the flag and the whole User document (as JSON, see above). */
interface CourseSession {
  isLoggedIn?: boolean;
  user?: { _id: string };
}
const courseSession = (req: Request) => req.session as unknown as CourseSession;

start(async () => {
  await mongoose.connect(uri);
  const MongoDBStore = connectMongoDBSession(session);
  const store = new MongoDBStore({ uri, collection: 'sessions' });
  const { csrfSynchronisedProtection } = csrfSync({
    getTokenFromRequest: (req) => (req.body as Record<string, string> | undefined)?._csrf,
  });

  const app = shopPagesApp();
  app.use(express.urlencoded({ extended: false }));
  app.use(express.static(PUBLIC_DIR));
  app.use(session({ secret, resave: false, saveUninitialized: false, store }));
  app.use(csrfSynchronisedProtection);
  app.use((req, res, next) => {
    res.locals.isAuthenticated = courseSession(req).isLoggedIn;
    res.locals.csrfToken = req.csrfToken!();
    next();
  });
  app.use((req: Request, res: Response, next: NextFunction) => {
    const sessionUser = courseSession(req).user;
    if (!sessionUser) return next();
    User.findById(sessionUser._id)
      .then((user) => {
        if (!user) return next();
        req.user = user;
        // The shop's navigation shows the shopper's email and cart count; its forms, the way back.
        res.locals.currentUser = user.email;
        Object.assign(res.locals, shopperPageLocals(req, user));
        next();
      })
      .catch((error: unknown) => next(error));
  });

  app.get('/login', (_req, res) => loginPage(res, res.locals.csrfToken!));
  app.post('/login', async (req, res, next) => {
    const { email, password } = req.body as Record<string, string>;
    const user = await User.findOne({ email });
    if (!user?.password || !(await bcrypt.compare(password, user.password))) {
      res.redirect('/login');
      return;
    }
    courseSession(req).isLoggedIn = true;
    courseSession(req).user = JSON.parse(JSON.stringify(user));
    req.session.save((error) => {
      if (error) next(error);
      else res.redirect('/');
    });
  });
  app.get('/products', productList);
  useErrorPrinter(app);

  listen(app, 'course peer', port, () => store.client.close());
});
