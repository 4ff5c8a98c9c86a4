import bcrypt from 'bcrypt';
import { silentLogger } from '../../src/platform/logger';
import { DEMO_LOGIN, demoLoginWorks, seedDemoData } from '../../src/demo-data';
import { Product } from '../../src/catalog/product.model';
import { User } from '../../src/accounts/user.model';
import { startTestShop, type TestShop } from '../helpers/shop';

let shop: TestShop;

beforeAll(async () => {
  shop = await startTestShop('demo_data');
});

afterAll(async () => {
  await shop.close();
});

test('demo data fills an empty shop once; the demo login is printed only while it works', async () => {
  expect(await demoLoginWorks()).toBe(false);
  expect(await seedDemoData({ bcryptRounds: 4, logger: silentLogger })).toBe(true);
  expect(await Product.countDocuments()).toBe(12);
  expect(await demoLoginWorks()).toBe(true);

  // A restart (npm run dev reloads on every change) adds nothing, and the login still works.
  expect(await seedDemoData({ bcryptRounds: 4, logger: silentLogger })).toBe(false);
  expect(await demoLoginWorks()).toBe(true);

  await User.updateOne({ email: DEMO_LOGIN.email }, { $set: { password: await bcrypt.hash('changed-password', 4) } });
  expect(await demoLoginWorks()).toBe(false);
  await User.deleteOne({ email: DEMO_LOGIN.email });
  expect(await demoLoginWorks()).toBe(false);
});
