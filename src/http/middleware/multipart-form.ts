import type { Request, RequestHandler } from 'express';
import multer, { MulterError, type FileFilterCallback } from 'multer';
import { HttpError } from '../http-error';
import { isMultipart, type UploadRefusal } from '../upload';

export interface MultipartFormOptions {
  /** The one file field taken; a file in any other field is refused. */
  fileField: string;
  /** The largest file, in bytes. */
  maxFileBytes: number;
  /** How the form says the largest file ("5 MB"). */
  maxFileText: string;
  /** Text fields the form has at most. */
  maxFields: number;
  /** The largest text field, in bytes. */
  maxFieldBytes: number;
  /**
   * A body announced larger than this is refused at once, unread, with the 413 page (the
   * connection closes rather than take it in); one sent without a length is cut off there.
   * Below it, an oversized file is read to the end and the form shown again with its error.
   */
  maxBodyBytes: number;
  /**
   * The work a file waits for has room for so many at once: `take` gives a place for a file about
   * to be read into memory (and the function that gives it back, called once the response has
   * ended) or none. A file that finds none is read past, never kept, and `busy` left in
   * `req.uploadRefusal`; the text fields are still read, so the form can be shown again with them.
   */
  filePlaces?: { take: () => (() => void) | undefined; busy: UploadRefusal };
}

/** What each of multer's refusals tells the person who sent the form. */
function refusalOf(error: unknown, options: MultipartFormOptions): UploadRefusal {
  if (error instanceof MulterError) {
    switch (error.code) {
      case 'LIMIT_FILE_SIZE':
        return { status: 413, message: `Choose a photo of at most ${options.maxFileText}.`, about: 'file' };
      case 'LIMIT_FILE_COUNT':
        return { status: 400, message: 'Choose one photo only.', about: 'file' };
      case 'LIMIT_UNEXPECTED_FILE':
        return {
          status: 400,
          message: 'The form sent a file it has no field for: choose the photo again.',
          about: 'file',
        };
      case 'LIMIT_PART_COUNT':
      case 'LIMIT_FIELD_COUNT':
      case 'LIMIT_FIELD_KEY':
      case 'LIMIT_FIELD_VALUE':
        return {
          status: 413,
          message: 'The form sent too much: check what you typed and send it again.',
          about: 'form',
        };
      default:
        break;
    }
  }
  // A body that is no multipart form (busboy's "Unexpected end of form", "Malformed part header",
  // no boundary), nested field names, or a client that went away mid-upload.
  return {
    status: 400,
    message: 'The form arrived incomplete: check what you typed and send it again.',
    about: 'form',
  };
}

/**
 * A form sent as multipart/form-data, with at most one file, read into memory (multer, limits on
 * every part). Nothing it refuses fails the request: the refusal is left in `req.uploadRefusal`
 * with the fields read before it, so that the route can check the CSRF token (the fields are only
 * read here) and then show the form again with what was typed. Other bodies pass untouched.
 */
export function multipartForm(options: MultipartFormOptions): RequestHandler {
  const { filePlaces } = options;
  /** Only a file with a name reaches it: a file field left empty sends none, and takes no place. */
  const fileFilter = (req: Request, _file: Express.Multer.File, accept: FileFilterCallback): void => {
    if (!filePlaces) {
      accept(null, true);
      return;
    }
    const release = filePlaces.take();
    if (!release) {
      req.uploadRefusal = filePlaces.busy;
      accept(null, false);
      return;
    }
    // Express links every request to its response: its 'close' comes once it has been sent, or
    // once the client has gone. (Without one, the place is given back at once rather than lost.)
    if (!req.res?.once('close', release)) release();
    accept(null, true);
  };
  const upload = multer({
    storage: multer.memoryStorage(),
    fileFilter,
    limits: {
      files: 1,
      fileSize: options.maxFileBytes,
      fields: options.maxFields,
      fieldSize: options.maxFieldBytes,
      fieldNameSize: 100,
      parts: options.maxFields + 1,
      headerPairs: 20,
      // `a[b]` would make an object of a field: the shop's forms are flat, as its urlencoded parser.
      fieldNestingDepth: 0,
    },
  }).single(options.fileField);

  return (req, res, next) => {
    if (!isMultipart(req)) {
      next();
      return;
    }
    const announced = Number(req.headers['content-length']);
    if (announced > options.maxBodyBytes) {
      // Unread: closing the connection stops the upload, where keeping it alive would read it all.
      res.set('Connection', 'close');
      next(new HttpError(413));
      return;
    }
    let received = 0;
    const countBytes = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > options.maxBodyBytes) req.destroy();
    };
    req.on('data', countBytes);
    upload(req, res, (error: unknown) => {
      req.off('data', countBytes);
      if (error !== undefined) req.uploadRefusal = refusalOf(error, options);
      next();
    });
  };
}
