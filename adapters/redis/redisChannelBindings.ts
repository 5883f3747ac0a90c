import type Redis from 'ioredis';
import { z } from 'zod';
import { SsprError } from '../../domain/errors';
import type { ChannelBinding, ChannelBindings, DestinationKind } from '../../domain/ports/channelBindings';
import { LuaScript } from './luaScript';

const BindingSchema = z.object({
  address: z.object({ teamId: z.string(), channelId: z.string(), tenantId: z.string(), serviceUrl: z.string() }),
  boundBy: z.string(),
  boundAt: z.number(),
});

/** Delete the binding only when it still names this channel (compare-and-delete in one step). */
const UNBIND = new LuaScript(`
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local ok, b = pcall(cjson.decode, v)
if ok and b.address and b.address.channelId == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`);

/** ChannelBindings in Redis: `SET NX` makes a binding once; no expiry (a destination is configuration). */
export class RedisChannelBindings implements ChannelBindings {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'sspr:',
  ) {}

  private key(kind: DestinationKind): string {
    return `${this.prefix}destination:${kind}`;
  }

  async get(kind: DestinationKind): Promise<ChannelBinding | null> {
    let raw: string | null;
    try {
      raw = await this.redis.get(this.key(kind));
    } catch (cause) {
      throw new SsprError('state_unavailable', 'destination binding could not be read', { cause });
    }
    if (raw === null) return null;
    try {
      const parsed = BindingSchema.safeParse(JSON.parse(raw));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }

  async bindOnce(kind: DestinationKind, binding: ChannelBinding): Promise<boolean> {
    try {
      return (await this.redis.set(this.key(kind), JSON.stringify(binding), 'NX')) === 'OK';
    } catch (cause) {
      throw new SsprError('state_unavailable', 'destination binding could not be saved', { cause });
    }
  }

  async unbind(kind: DestinationKind, channelId: string): Promise<boolean> {
    try {
      return (await UNBIND.run(this.redis, [this.key(kind)], [channelId])) === 1;
    } catch (cause) {
      throw new SsprError('state_unavailable', 'destination binding could not be removed', { cause });
    }
  }
}
