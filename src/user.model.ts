import { model } from 'mongoose';
import { userSchema, type IUser, type UserModel } from './accounts/user.schema';
import { cartOfUser } from './cart/cart.plugin';

/*
 * The User model, composed: accounts' schema (who the shopper is, how they log in) with the cart's
 * part (the cart, the address kept, the orders being placed, and the cart's methods). Each area
 * writes its own part; mongoose takes every part before compiling, so the model is made here,
 * above the areas, and app.ts and server.ts hand it to them (docs/architecture.md).
 */

userSchema.plugin(cartOfUser);

export const User = model<IUser, UserModel>('User', userSchema);
