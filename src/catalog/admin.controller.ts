import type { Request, Response } from 'express';
import { matchedData } from 'express-validator';
import type { Types } from 'mongoose';
import { parseObjectId } from '../http/object-id';
import { formField, typedText } from '../http/form-field';
import { notFound } from '../http/http-error';
import { pageHref, pagination, requestedPage } from '../http/pagination';
import { fieldErrors, hasErrors, type FieldErrors } from '../http/form-errors';
import { flash } from '../http/flash';
import { uploadedFile } from '../http/upload';
import { loggedInUser } from '../accounts/current-user';
import type { Catalog, PhotoChange, ProductFields } from './catalog.service';
import type { ProductImage, ProductRecord } from './product.model';
import { ImageRefusedError } from './photo-checks';
import { PHOTOS_BUSY_MESSAGE, PhotosBusyError } from './photo-queue';
import { stockOf } from './product.forms';
import { ADD_PRODUCT_PATH, ADMIN_PRODUCTS_PATH } from './admin.routes';

/*
 * A shopper manages only the products they created: the catalog looks each one up with its
 * seller, so someone else's product is simply not found (404), whether it is read, changed or deleted.
 */

/** The form as typed: strings, shown back when validation fails. */
interface ProductForm {
  title: string;
  price: string;
  description: string;
  imageUrl: string;
  /** The units in stock as typed; empty: not tracked. */
  stock: string;
  /** The edit form's "Remove the photo" box. */
  removeImage: boolean;
  /** Whether the form sent a stock field at all (the course's four fields do not). */
  hasStock: boolean;
}

const EMPTY_FORM: ProductForm = {
  title: '',
  price: '',
  description: '',
  imageUrl: '',
  stock: '',
  removeImage: false,
  hasStock: true,
};

function typedForm(req: Request): ProductForm {
  const data = matchedData(req, { onlyValidData: false });
  return {
    title: typedText(data.title),
    price: typedText(data.price),
    description: typedText(data.description),
    imageUrl: typedText(data.imageUrl),
    stock: typedText(data.stock),
    removeImage: formField(req, 'removeImage') === 'on',
    hasStock: formField(req, 'stock') !== undefined,
  };
}

/** How a form shown again is answered: its status, and with a 503 when to send it again. */
interface FormAnswer {
  status: number;
  retryAfterSeconds?: number;
}

/**
 * The form's errors: its fields', and the upload's refusal (too large, not a photo, no room for it
 * now...). A refusal of the whole body (a field too long, a broken body) may have cut the fields
 * short: it alone is said, above the form, rather than an error for each field that did not arrive.
 */
function formErrors(req: Request): { errors: FieldErrors; message?: string; answer: FormAnswer } {
  const refusal = req.uploadRefusal;
  const answer = { status: refusal?.status ?? 422, retryAfterSeconds: refusal?.retryAfterSeconds };
  if (refusal?.about === 'form') return { errors: {}, message: refusal.message, answer };
  const errors = fieldErrors(req);
  if (refusal) errors.image = refusal.message;
  return { errors, answer };
}

/** A photo the catalog refused: not a whole photo within the limits (422), or no room to decode it now (503). */
function photoRefusal(error: unknown): { message: string; answer: FormAnswer } | undefined {
  if (error instanceof ImageRefusedError) return { message: error.message, answer: { status: 422 } };
  if (error instanceof PhotosBusyError) {
    return { message: PHOTOS_BUSY_MESSAGE, answer: { status: 503, retryAfterSeconds: error.retryAfterSeconds } };
  }
  return undefined;
}

function answerWith(res: Response, { status, retryAfterSeconds }: FormAnswer): Response {
  if (retryAfterSeconds !== undefined) res.set('Retry-After', String(retryAfterSeconds));
  return res.status(status);
}

/** What an edit does to the photo: a new one replaces it, the box removes it, else it stays. */
function photoChange(req: Request, form: ProductForm): PhotoChange | undefined {
  const upload = uploadedFile(req);
  if (upload) return { upload };
  return form.removeImage ? { remove: true } : undefined;
}

function productFields(form: ProductForm): ProductFields {
  return {
    title: form.title,
    price: Number(form.price),
    description: form.description,
    imageUrl: form.imageUrl,
    stock: stockOf(form.hasStock ? form.stock : undefined),
  };
}

interface ProductFormView {
  editing: boolean;
  productId?: string;
  form: ProductForm;
  errors: FieldErrors;
  /** Said above the form. */
  message?: string;
  /** The product's uploaded photo, shown on the edit form with a box to remove it. */
  image?: ProductImage | null;
  /** A photo was chosen but the form is shown again: a browser never fills in a file field. */
  choosePhotoAgain?: boolean;
}

function renderProductForm(res: Response, view: ProductFormView): void {
  res.render('catalog/admin/edit-product', {
    pageTitle: view.editing ? 'Edit product' : 'Add product',
    path: view.editing ? ADMIN_PRODUCTS_PATH : ADD_PRODUCT_PATH,
    ...view,
  });
}

export interface AdminControllerOptions {
  catalog: Catalog;
  /** Units sold of each product, by id (from the orders, which the cart keeps): app.ts hands it down. */
  unitsSold?: (productIds: Types.ObjectId[]) => Promise<Map<string, number>>;
}

/** A seller's own products: the list, adding, editing and deleting. */
export function createAdminController({ catalog, unitsSold = async () => new Map() }: AdminControllerOptions) {
  async function findOwnProduct(req: Request, productId: Types.ObjectId | undefined): Promise<ProductRecord> {
    const product = productId && (await catalog.sellerProduct(loggedInUser(req)._id, productId));
    if (!product) throw notFound();
    return product;
  }

  function getAddProduct(_req: Request, res: Response): void {
    renderProductForm(res, { editing: false, form: EMPTY_FORM, errors: {} });
  }

  async function postAddProduct(req: Request, res: Response): Promise<void> {
    const form = typedForm(req);
    const { errors, message, answer } = formErrors(req);
    const photo = uploadedFile(req);
    if (message !== undefined || hasErrors(errors)) {
      renderProductForm(answerWith(res, answer), { editing: false, form, errors, message, choosePhotoAgain: !!photo });
      return;
    }
    try {
      await catalog.createProduct(loggedInUser(req)._id, productFields(form), photo);
    } catch (error) {
      const refusal = photoRefusal(error);
      if (!refusal) throw error;
      renderProductForm(answerWith(res, refusal.answer), { editing: false, form, errors: { image: refusal.message } });
      return;
    }
    flash(req, res, 'success', `“${form.title}” has been added to the shop.`);
    res.redirect(ADMIN_PRODUCTS_PATH);
  }

  /**
   * One page of the seller's own products, newest first, like the shop's lists: a seller with
   * thousands of products gets a page of them, never one reply holding them all.
   */
  async function getProducts(req: Request, res: Response): Promise<void> {
    const page = requestedPage(req.query.page);
    const { products, pageCount } = await catalog.sellerPage(loggedInUser(req)._id, page);
    if (page > pageCount) {
      res.redirect(pageHref(ADMIN_PRODUCTS_PATH, pageCount));
      return;
    }
    const sold = await unitsSold(products.map((product) => product._id));
    res.render('catalog/admin/products', {
      pageTitle: page === 1 ? 'Your products' : `Your products, page ${page}`,
      path: ADMIN_PRODUCTS_PATH,
      products,
      sold,
      pagination: pagination(ADMIN_PRODUCTS_PATH, page, pageCount),
    });
  }

  async function getEditProduct(req: Request, res: Response): Promise<void> {
    const product = await findOwnProduct(req, parseObjectId(req.params.productId));
    const form: ProductForm = {
      title: product.title,
      price: product.price.toFixed(2),
      description: product.description,
      imageUrl: product.imageUrl,
      stock: typeof product.stock === 'number' ? String(product.stock) : '',
      removeImage: false,
      hasStock: true,
    };
    renderProductForm(res, {
      editing: true,
      productId: product._id.toHexString(),
      form,
      errors: {},
      image: product.image,
    });
  }

  async function postEditProduct(req: Request, res: Response): Promise<void> {
    const productId = parseObjectId(formField(req, 'productId'));
    if (!productId) throw notFound();
    const form = typedForm(req);
    const { errors, message, answer } = formErrors(req);
    const showForm = async (view: Pick<ProductFormView, 'errors' | 'message' | 'choosePhotoAgain'>, as: FormAnswer) => {
      // Someone else's product gets its 404 before any form is shown.
      const { image } = await findOwnProduct(req, productId);
      renderProductForm(answerWith(res, as), {
        editing: true,
        productId: productId.toHexString(),
        form,
        image,
        ...view,
      });
    };
    if (message !== undefined || hasErrors(errors)) {
      await showForm({ errors, message, choosePhotoAgain: !!uploadedFile(req) }, answer);
      return;
    }
    let updated: boolean;
    try {
      updated = await catalog.updateProduct(
        loggedInUser(req)._id,
        productId,
        productFields(form),
        photoChange(req, form),
      );
    } catch (error) {
      const refusal = photoRefusal(error);
      if (!refusal) throw error;
      await showForm({ errors: { image: refusal.message } }, refusal.answer);
      return;
    }
    if (!updated) throw notFound();
    flash(req, res, 'success', `“${form.title}” has been updated.`);
    res.redirect(ADMIN_PRODUCTS_PATH);
  }

  async function postDeleteProduct(req: Request, res: Response): Promise<void> {
    const productId = parseObjectId(formField(req, 'productId'));
    if (!productId || !(await catalog.deleteProduct(loggedInUser(req)._id, productId))) throw notFound();
    flash(req, res, 'success', 'The product has been deleted.');
    res.redirect(ADMIN_PRODUCTS_PATH);
  }

  return { getAddProduct, postAddProduct, getProducts, getEditProduct, postEditProduct, postDeleteProduct };
}

export type AdminController = ReturnType<typeof createAdminController>;
