/**
 * npm run seed: demo products and the demo shopper into the database MONGODB_URI names
 * (without MONGODB_URI: the embedded default, in its data directory).
 */
import dotenv from 'dotenv';
import mongoose from 'mongoose';
import { ConfigError, loadConfig } from '../src/platform/config';
import { createProcessLogger, printLine } from '../src/platform/logger';
import { resolveConfiguredDatabase } from '../src/platform/database/resolve';
import { DEMO_LOGIN, seedDemoData } from '../src/demo-data';

async function main(): Promise<void> {
  dotenv.config({ quiet: true });
  const config = loadConfig(process.env);
  const logger = await createProcessLogger(config.logLevel, { isProduction: config.isProduction });
  const database = await resolveConfiguredDatabase(config, logger);
  try {
    await mongoose.connect(database.uri);
    const added = await seedDemoData({ bcryptRounds: config.bcryptRounds, logger });
    printLine(
      added
        ? `Demo data added. Demo login: ${DEMO_LOGIN.email} / ${DEMO_LOGIN.password}`
        : 'The shop already has products: nothing added.',
    );
  } finally {
    await mongoose.disconnect();
    await database.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError || error instanceof Error ? error.message : error);
  process.exit(1);
});
