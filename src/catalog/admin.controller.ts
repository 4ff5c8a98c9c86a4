import type { Request, Response } from 'express';
import { matchedData } from 'express-validator';
import type { Types } from 'mongoose';
import { parseObjectId } from '../http/object-id';
import { formField, typedText } from '../http/form-field';
import { notFound } from '../http/http-error';
import { pageHref, pagination, requestedPage } from '../http/pagination';
import { fieldErrors, hasErrors, type FieldErrors } from '../http/form-errors';
import { flash } from '../http/flash';
import { loggedInUser } from '../accounts/current-user';
import type { Catalog, ProductFields } from './catalog.service';
import type { ProductRecord } from './product.model';

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
}

const EMPTY_FORM: ProductForm = { title: '', price: '', description: '', imageUrl: '' };

function typedForm(req: Request): ProductForm {
  const data = matchedData(req, { onlyValidData: false });
  return {
    title: typedText(data.title),
    price: typedText(data.price),
    description: typedText(data.description),
    imageUrl: typedText(data.imageUrl),
  };
}

function productFields(form: ProductForm): ProductFields {
  return { title: form.title, price: Number(form.price), description: form.description, imageUrl: form.imageUrl };
}

function renderProductForm(
  res: Response,
  view: { editing: boolean; productId?: string; form: ProductForm; errors: FieldErrors },
): void {
  res.render('catalog/admin/edit-product', {
    pageTitle: view.editing ? 'Edit product' : 'Add product',
    path: view.editing ? '/admin/products' : '/admin/add-product',
    ...view,
  });
}

export interface AdminControllerOptions {
  catalog: Catalog;
}

/** A seller's own products: the list, adding, editing and deleting. */
export function createAdminController({ catalog }: AdminControllerOptions) {
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
    const errors = fieldErrors(req);
    if (hasErrors(errors)) {
      renderProductForm(res.status(422), { editing: false, form, errors });
      return;
    }
    await catalog.createProduct(loggedInUser(req)._id, productFields(form));
    flash(req, res, 'success', `“${form.title}” has been added to the shop.`);
    res.redirect('/admin/products');
  }

  /**
   * One page of the seller's own products, newest first, like the shop's lists: a seller with
   * thousands of products gets a page of them, never one reply holding them all.
   */
  async function getProducts(req: Request, res: Response): Promise<void> {
    const page = requestedPage(req.query.page);
    const { products, pageCount } = await catalog.sellerPage(loggedInUser(req)._id, page);
    if (page > pageCount) {
      res.redirect(pageHref('/admin/products', pageCount));
      return;
    }
    res.render('catalog/admin/products', {
      pageTitle: page === 1 ? 'Your products' : `Your products, page ${page}`,
      path: '/admin/products',
      products,
      pagination: pagination('/admin/products', page, pageCount),
    });
  }

  async function getEditProduct(req: Request, res: Response): Promise<void> {
    const product = await findOwnProduct(req, parseObjectId(req.params.productId));
    const form: ProductForm = {
      title: product.title,
      price: product.price.toFixed(2),
      description: product.description,
      imageUrl: product.imageUrl,
    };
    renderProductForm(res, { editing: true, productId: product._id.toHexString(), form, errors: {} });
  }

  async function postEditProduct(req: Request, res: Response): Promise<void> {
    const productId = parseObjectId(formField(req, 'productId'));
    if (!productId) throw notFound();
    const form = typedForm(req);
    const errors = fieldErrors(req);
    if (hasErrors(errors)) {
      // Someone else's product gets its 404 before any form is shown.
      await findOwnProduct(req, productId);
      renderProductForm(res.status(422), { editing: true, productId: productId.toHexString(), form, errors });
      return;
    }
    if (!(await catalog.updateProduct(loggedInUser(req)._id, productId, productFields(form)))) throw notFound();
    flash(req, res, 'success', `“${form.title}” has been updated.`);
    res.redirect('/admin/products');
  }

  async function postDeleteProduct(req: Request, res: Response): Promise<void> {
    const productId = parseObjectId(formField(req, 'productId'));
    if (!productId || !(await catalog.deleteProduct(loggedInUser(req)._id, productId))) throw notFound();
    flash(req, res, 'success', 'The product has been deleted.');
    res.redirect('/admin/products');
  }

  return { getAddProduct, postAddProduct, getProducts, getEditProduct, postEditProduct, postDeleteProduct };
}

export type AdminController = ReturnType<typeof createAdminController>;
