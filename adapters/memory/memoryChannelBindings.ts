import type { ChannelBinding, ChannelBindings, DestinationKind } from '../../domain/ports/channelBindings';

/** In-memory ChannelBindings (embedded default and tests). */
export class MemoryChannelBindings implements ChannelBindings {
  private readonly bound = new Map<DestinationKind, ChannelBinding>();

  async get(kind: DestinationKind): Promise<ChannelBinding | null> {
    return this.bound.get(kind) ?? null;
  }

  async bindOnce(kind: DestinationKind, binding: ChannelBinding): Promise<boolean> {
    if (this.bound.has(kind)) return false;
    this.bound.set(kind, binding);
    return true;
  }

  async unbind(kind: DestinationKind, channelId: string): Promise<boolean> {
    if (this.bound.get(kind)?.address.channelId !== channelId) return false;
    this.bound.delete(kind);
    return true;
  }
}
