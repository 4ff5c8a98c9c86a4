// The part of passport's and passport-local's API the bench's peer (h) uses. Neither package ships
// types, and @types/passport declares `Express.Request.user` as its own type, against the shop's
// declaration of the same property (src/types/express.d.ts): the two cannot both be in the program.
declare module 'passport' {
  import type { RequestHandler } from 'express';

  namespace passport {
    type Done<T> = (error: unknown, value?: T) => void;

    interface Strategy {
      name: string;
    }

    interface PassportStatic {
      use(strategy: Strategy): PassportStatic;
      initialize(): RequestHandler;
      /** `authenticate('session')`: `req.user` from the session's `passport.user`, through deserializeUser. */
      session(): RequestHandler;
      authenticate(strategy: string, callback: (error: unknown, user: unknown, info: unknown) => void): RequestHandler;
      serializeUser<User>(serialize: (user: User, done: Done<string>) => void): void;
      deserializeUser<User>(deserialize: (id: string, done: Done<User | false | null>) => void): void;
    }
  }

  const passport: passport.PassportStatic;
  export = passport;
}

declare module 'passport-local' {
  import type { Strategy as PassportStrategy } from 'passport';

  type VerifyDone = (error: unknown, user?: unknown, info?: unknown) => void;

  export class Strategy implements PassportStrategy {
    constructor(
      options: { usernameField?: string; passwordField?: string },
      verify: (username: string, password: string, done: VerifyDone) => void,
    );
    name: string;
  }
}
