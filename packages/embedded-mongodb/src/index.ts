import net from 'node:net';
import type { Document } from 'bson';
import { silentLogger, type Logger } from './logger';
import { dispatchCommand } from './commands';
import type { CommandContext, EngineSettings } from './commands/context';
import { serveConnection, type BufferBudget, type ConnectionAction, type ConnectionInfo } from './connection';
import { Cursors } from './cursors';
import { FailPoints } from './fail-points';
import { DEFAULT_LIMITS, type ConnectionLimits } from './limits';
import { openPersistence } from './persistence';
import { LogicalSessions } from './sessions';
import { Storage } from './storage';

export { DEFAULT_LIMITS, type ConnectionLimits } from './limits';

export interface EmbeddedMongoOptions {
  /** 127.0.0.1 unless told otherwise: the engine has no authentication. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** A data directory; unset keeps everything in memory. */
  dbPath?: string;
  /** Seconds between TTL passes (MongoDB's default, 60, unless set). */
  ttlMonitorSleepSecs?: number;
  /** What one client may make the engine hold; DEFAULT_LIMITS for anything unset. */
  limits?: Partial<ConnectionLimits>;
  /**
   * Test commands, as mongod's `enableTestCommands`: `configureFailPoint` with the `failCommand`
   * fail point. Off unless set: a fail point fails other clients' commands on purpose.
   */
  testCommands?: boolean;
  logger?: Logger;
}

export interface EngineStats {
  connections: number;
  /** Bytes of unfinished messages held for all connections. */
  bufferedBytes: number;
}

export interface EmbeddedMongo {
  host: string;
  port: number;
  /** mongodb://host:port — append a database name. */
  uri: string;
  /** Open client connections right now. */
  connections(): number;
  stats(): EngineStats;
  /** Runs the TTL pass now (tests), returning how many documents it removed. */
  removeExpired(): number;
  /** Closes every connection, stops listening and flushes the data directory. */
  stop(): Promise<void>;
}

/**
 * Starts a MongoDB wire-protocol server backed by the engine's storage. It serves the official
 * drivers (several pools, several driver versions at once) as a standalone MongoDB 7.0 would.
 */
export async function startEmbeddedMongo(options: EmbeddedMongoOptions = {}): Promise<EmbeddedMongo> {
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger ?? silentLogger;
  const persistence = options.dbPath ? openPersistence(options.dbPath, logger) : undefined;
  let storage: Storage;
  try {
    storage = new Storage(logger, persistence);
  } catch (error) {
    persistence?.close();
    throw error;
  }
  const cursors = new Cursors();
  const sessions = new LogicalSessions();
  const failPoints = options.testCommands === true ? new FailPoints() : undefined;
  const settings: EngineSettings = { ttlMonitorSleepSecs: options.ttlMonitorSleepSecs ?? 60 };

  let ttlTimer: NodeJS.Timeout | undefined;
  const scheduleTtl = (): void => {
    clearInterval(ttlTimer);
    ttlTimer = setInterval(() => {
      try {
        const removed = storage.removeExpired();
        if (removed > 0) logger.debug({ removed }, 'TTL monitor removed expired documents');
        cursors.closeIdle();
      } catch (error) {
        logger.error({ err: error }, 'TTL monitor pass failed');
      }
    }, settings.ttlMonitorSleepSecs * 1000);
    ttlTimer.unref();
  };
  scheduleTtl();

  const budget: BufferBudget = { used: 0, limits: { ...DEFAULT_LIMITS, ...options.limits } };
  const sockets = new Set<net.Socket>();
  let nextConnectionId = 1;
  const dispatch = (command: Document, connection: ConnectionInfo): Document | ConnectionAction => {
    const context: CommandContext = {
      storage,
      cursors,
      settings,
      logger,
      connectionId: connection.id,
      sessions,
      failPoints,
      onSettingsChanged: scheduleTtl,
    };
    return dispatchCommand(command, context, connection);
  };

  const server = net.createServer((socket) => {
    if (sockets.size >= budget.limits.maxConnections) {
      logger.warn({ connections: sockets.size }, 'refused a connection: too many open connections');
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    serveConnection(socket, nextConnectionId++, dispatch, logger, budget);
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    clearInterval(ttlTimer);
    storage.close();
    throw error;
  }
  server.on('error', (error) => logger.error({ err: error }, 'embedded MongoDB server error'));
  const { port } = server.address() as net.AddressInfo;

  let stopping: Promise<void> | undefined;
  return {
    host,
    port,
    uri: `mongodb://${host}:${port}`,
    connections: () => sockets.size,
    stats: () => ({ connections: sockets.size, bufferedBytes: budget.used }),
    removeExpired: () => storage.removeExpired(),
    stop: () => {
      stopping ??= new Promise<void>((resolve) => {
        clearInterval(ttlTimer);
        server.close(() => {
          cursors.clear();
          storage.close();
          resolve();
        });
        for (const socket of sockets) socket.destroy();
      });
      return stopping;
    },
  };
}
