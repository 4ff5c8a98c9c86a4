/**
 * The bench's peer (h): a hackathon-starter-style stack in front of the shop's data and templates.
 *
 *  - express-session with connect-mongo (`MongoStore.create`, its own MongoClient to the same
 *    database, its default collection `sessions`, `touchAfter: 24 * 3600`), `resave: false,
 *    saveUninitialized: false`, hackathon-starter's cookie name and two-week cookie;
 *  - passport: `passport.initialize()`, `passport.session()`; serializeUser stores the id,
 *    deserializeUser does `User.findById` on every request; login through a local strategy that
 *    checks the bcrypt hash, and `req.logIn` (a new session id, as passport 0.6+ does);
 *  - CSRF on every POST and a token for every page (csrf-sync, where hackathon-starter has lusca);
 *  - GET /products: a count and a find per view, no cache (peer-pages.ts), the shop's template.
 *
 * Left out of hackathon-starter's app.js: compression, the request log (morgan), the rate
 * limiter, flash messages, lusca's headers, and the OAuth strategies. Its express.static is kept,
 * after the session as there: every page also looks for a file in public/.
 *
 *   SESSION_SECRET=... node --import tsx packages/bench/src/servers/peer-passport.ts --port P --uri URI
 */
import bcrypt from 'bcrypt';
import express, { type Request } from 'express';
import session from 'express-session';
import MongoStore from 'connect-mongo';
import { csrfSync } from 'csrf-sync';
import mongoose from 'mongoose';
import passport from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { PUBLIC_DIR, User, type UserDocument } from '../shop';
import { loginPage, productList, shopperPageLocals, useErrorPrinter } from './peer-pages';
import { listen, serverArgs, shopPagesApp, start } from './common';

const { port, uri, secret } = serverArgs('peer-passport.ts');

/** What passport adds to every request (passport.initialize()). */
type PassportRequest = Request & {
  logIn(user: UserDocument, done: (error?: unknown) => void): void;
  isAuthenticated(): boolean;
};

passport.serializeUser<UserDocument>((user, done) => {
  done(null, user.id);
});
passport.deserializeUser<UserDocument>(async (id, done) => {
  try {
    done(null, await User.findById(id));
  } catch (error) {
    done(error);
  }
});
passport.use(
  new LocalStrategy({ usernameField: 'email' }, (email, password, done) => {
    User.findOne({ email: email.toLowerCase() })
      .then(async (user) => {
        if (!user) return done(null, false, { msg: `Email ${email} not found.` });
        if (user.password && (await bcrypt.compare(password, user.password))) return done(null, user);
        return done(null, false, { msg: 'Invalid email or password.' });
      })
      .catch((error: unknown) => done(error));
  }),
);

start(async () => {
  await mongoose.connect(uri);
  const store = MongoStore.create({ mongoUrl: uri, touchAfter: 24 * 3600 });
  const { csrfSynchronisedProtection } = csrfSync({
    getTokenFromRequest: (req) => (req.body as Record<string, string> | undefined)?._csrf,
  });

  const app = shopPagesApp();
  app.use(express.urlencoded({ extended: true }));
  app.use(
    session({
      resave: false,
      saveUninitialized: false,
      secret,
      name: 'startercookie',
      cookie: { maxAge: 1209600000 },
      store,
    }),
  );
  app.use(passport.initialize());
  app.use(passport.session());
  app.use(csrfSynchronisedProtection);
  app.use((req, res, next) => {
    const user = req.user;
    res.locals.isAuthenticated = (req as PassportRequest).isAuthenticated();
    res.locals.currentUser = user?.email;
    if (user) Object.assign(res.locals, shopperPageLocals(req, user));
    res.locals.csrfToken = req.csrfToken!();
    next();
  });
  app.use(express.static(PUBLIC_DIR, { maxAge: 31557600000 }));

  app.get('/login', (_req, res) => loginPage(res, res.locals.csrfToken!));
  app.post('/login', (req, res, next) => {
    passport.authenticate('local', (error, user) => {
      if (error) return next(error);
      if (!user) return res.redirect('/login');
      (req as PassportRequest).logIn(user as UserDocument, (loginError) => {
        if (loginError) return next(loginError);
        res.redirect('/');
      });
    })(req, res, next);
  });
  app.get('/products', productList);
  useErrorPrinter(app);

  listen(app, 'passport peer', port, () => store.close());
});
