import type { CodeMessage, CodeSender } from '../../domain/ports/codeSender';

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
