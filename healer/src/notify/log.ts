/** Notifications to the log, when no Slack webhook is configured. */
import type { Logger } from 'pino';
import type { Notifier, NotifyMessage, NotifyResult } from './types.js';

export class LogNotifier implements Notifier {
  constructor(private readonly logger: Logger) {}

  async post(message: NotifyMessage): Promise<NotifyResult> {
    this.logger.info(
      {
        notification: message.kind,
        namespace: message.namespace,
        deployment: message.name,
        dryRun: message.dryRun,
      },
      `${message.title}: ${message.detail}`,
    );
    return { delivered: true };
  }
}
