import mongoose, { Schema, Types, type Connection } from 'mongoose';
import { testServerUri, uniqueDbName } from '../helpers/database';

// The same cases run against whichever server the global setup resolved (embedded engine,
// mongodb-memory-server, or a real MongoDB through MONGODB_URI): the engine must behave like MongoDB.

interface Author {
  name: string;
}
interface Book {
  title: string;
  price: number;
  tags: string[];
  stock: { size: string; count: number }[];
  author?: Types.ObjectId;
  published?: Date;
}
interface Account {
  email: string;
}

const dbName = uniqueDbName('conformance_mongoose');

function defineModels(connection: Connection) {
  return {
    Author: connection.model('Author', new Schema<Author>({ name: { type: String, required: true } })),
    Book: connection.model(
      'Book',
      new Schema<Book>({
        title: { type: String, required: true },
        price: { type: Number, required: true },
        tags: [String],
        stock: [{ _id: false, size: String, count: Number }],
        author: { type: Schema.Types.ObjectId, ref: 'Author' },
        published: Date,
      }),
    ),
    Account: connection.model(
      'Account',
      new Schema<Account>({ email: { type: String, unique: true, required: true } }),
    ),
  };
}

let connection: Connection;
let Author: ReturnType<typeof defineModels>['Author'];
let Book: ReturnType<typeof defineModels>['Book'];
let Account: ReturnType<typeof defineModels>['Account'];

beforeAll(async () => {
  connection = await mongoose.createConnection(testServerUri(), { dbName }).asPromise();
  ({ Author, Book, Account } = defineModels(connection));
  await Account.init(); // builds the unique index before the tests rely on it
});

afterAll(async () => {
  await connection.dropDatabase();
  await connection.close();
});

test('creates, reads, updates and deletes documents', async () => {
  const created = await Book.create({ title: 'Dune', price: 9.99, tags: ['sf'] });
  const found = await Book.findById(created._id);
  expect(found?.title).toBe('Dune');
  expect(found?._id.equals(created._id)).toBe(true);

  await Book.updateOne({ _id: created._id }, { $set: { price: 12.5 } });
  expect((await Book.findById(created._id).lean())?.price).toBe(12.5);

  const deleted = await Book.deleteOne({ _id: created._id });
  expect(deleted.deletedCount).toBe(1);
  expect(await Book.findById(created._id)).toBeNull();
});

test('applies $set, $push, $pull, $inc and the positional $ operator', async () => {
  const book = await Book.create({
    title: 'Emma',
    price: 5,
    tags: ['classic', 'romance'],
    stock: [
      { size: 'paperback', count: 1 },
      { size: 'hardcover', count: 2 },
    ],
  });
  await Book.updateOne({ _id: book._id }, { $push: { tags: 'novel' }, $inc: { price: 2 } });
  await Book.updateOne({ _id: book._id }, { $pull: { tags: 'romance' } });
  await Book.updateOne({ _id: book._id, 'stock.size': 'hardcover' }, { $inc: { 'stock.$.count': 5 } });
  await Book.updateOne(
    { _id: book._id },
    { $set: { 'stock.$[s].count': 0 } },
    { arrayFilters: [{ 's.size': 'paperback' }] },
  );

  const after = await Book.findById(book._id).lean();
  expect(after?.tags).toEqual(['classic', 'novel']);
  expect(after?.price).toBe(7);
  expect(after?.stock).toEqual([
    { size: 'paperback', count: 0 },
    { size: 'hardcover', count: 7 },
  ]);
});

test('populates a reference', async () => {
  const author = await Author.create({ name: 'Ursula K. Le Guin' });
  await Book.create({ title: 'The Dispossessed', price: 8, author: author._id });
  const book = await Book.findOne({ title: 'The Dispossessed' }).populate<{ author: Author }>('author');
  expect(book?.author.name).toBe('Ursula K. Le Guin');
});

test('counts, sorts, skips and limits', async () => {
  await Book.deleteMany({});
  await Book.insertMany(
    Array.from({ length: 25 }, (_, i) => ({
      title: `Book ${String(i).padStart(2, '0')}`,
      price: i,
      published: new Date(2000 + i, 0, 1),
    })),
  );
  expect(await Book.countDocuments({ price: { $gte: 10 } })).toBe(15);
  expect(await Book.estimatedDocumentCount()).toBe(25);

  const page = await Book.find({}).sort({ price: -1 }).skip(5).limit(3).lean();
  expect(page.map((b) => b.price)).toEqual([19, 18, 17]);

  const byDate = await Book.find({ published: { $lt: new Date(2003, 0, 2) } })
    .sort({ published: 1 })
    .lean();
  expect(byDate.map((b) => b.price)).toEqual([0, 1, 2, 3]);

  expect((await Book.distinct('price', { price: { $lt: 3 } })).sort()).toEqual([0, 1, 2]);
});

test('reports a unique-index violation as E11000 through mongoose', async () => {
  await Account.create({ email: 'ada@example.com' });
  const error = await Account.create({ email: 'ada@example.com' }).catch((e: unknown) => e);
  expect(error).toMatchObject({ code: 11000, keyPattern: { email: 1 }, keyValue: { email: 'ada@example.com' } });
  expect(String((error as Error).message)).toMatch(/E11000 duplicate key error/);
  expect(await Account.countDocuments({ email: 'ada@example.com' })).toBe(1);
});

test('findOneAndUpdate returns the new document and upserts', async () => {
  const updated = await Book.findOneAndUpdate(
    { title: 'Upserted' },
    { $set: { price: 3 }, $setOnInsert: { tags: ['new'] } },
    { upsert: true, returnDocument: 'after' },
  ).lean();
  expect(updated).toMatchObject({ title: 'Upserted', price: 3, tags: ['new'] });
  const again = await Book.findOneAndUpdate(
    { title: 'Upserted' },
    { $inc: { price: 1 } },
    { returnDocument: 'before' },
  ).lean();
  expect(again?.price).toBe(3);
  expect((await Book.findOne({ title: 'Upserted' }).lean())?.price).toBe(4);
});
