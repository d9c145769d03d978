// Logging for the long-running processes: pino, JSON by default (for collectors),
// human-readable with --log-format text.
import { pino, type Logger } from 'pino';

export type LogFormat = 'json' | 'text';

export function createLogger(name: string, format: LogFormat = 'json', level = process.env.HAWSER_LOG_LEVEL ?? 'info'): Logger {
  if (format === 'text') {
    return pino({
      name,
      level,
      transport: { target: 'pino-pretty', options: { colorize: false, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } },
    });
  }
  return pino({ name, level });
}

export type { Logger };
