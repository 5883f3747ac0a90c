import type { CodeMessage, CodeSender, NotificationMessage, Notifier } from '../../domain/ports/codeSender';

/** Sends e-mail codes through one sender and SMS/voice codes through another. */
export class RoutingCodeSender implements CodeSender {
  constructor(
    private readonly email: CodeSender,
    private readonly phone: CodeSender,
  ) {}

  async send(m: CodeMessage): Promise<void> {
    await (m.channel === 'email' ? this.email : this.phone).send(m);
  }
}

/** Sends e-mail notices through one notifier and SMS notices through another. */
export class RoutingNotifier implements Notifier {
  constructor(
    private readonly email: Notifier,
    private readonly sms: Notifier,
  ) {}

  async notify(m: NotificationMessage): Promise<void> {
    await (m.channel === 'sms' ? this.sms : this.email).notify(m);
  }
}
