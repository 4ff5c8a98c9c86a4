/**
 * Everything the bench takes from the shop, and from the toolbox its scripts and tests share: the
 * shop's public pieces, used as they are, never copied. A change to one of them shows here first.
 */
export { loadConfig, type Config } from '../../../src/platform/config';
export { sessionCookie } from '../../../src/sessions/session-cookie';
export { csrfToken } from '../../../src/sessions/csrf';
export { MongoSessionStore } from '../../../src/sessions/mongo-session-store';
export { SESSIONS_COLLECTION } from '../../../src/sessions/session-document';
export { User } from '../../../src/user.model';
export type { UserDocument } from '../../../src/accounts/user.schema';
export type { CartItem } from '../../../src/cart/cart.model';
export { Product, type IProduct } from '../../../src/catalog/product.model';
export { Catalog, PRODUCTS_PER_PAGE, type CatalogPage } from '../../../src/catalog/catalog.service';
export { unitsIn } from '../../../src/cart/cart.service';
export { pageCountFor, pagination } from '../../../src/http/pagination';
export { useShopViews } from '../../../src/shop-views';
export { PUBLIC_DIR } from '../../../src/http/assets';

export * from '../../../tools/processes';
export { expectStatus, HTTPS_PROXY_HEADERS, ShopClient } from '../../../tools/shop-client';
export { csrfTokenIn, productIdsIn, showsLogout, withoutCsrfTokens } from '../../../tools/html';
