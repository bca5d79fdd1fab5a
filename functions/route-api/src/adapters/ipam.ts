import { type Db, openPostgres, vpcBlocksOverlapping } from '@reflex/ipam';
import { ReflexError } from '@reflex/lambda-kit';
import type { IpamOverlap, IpamPort } from '../ports';

/**
 * The IPAM's golden records in its PostgreSQL server (`@reflex/ipam`): connected on first use, once per cold
 * start; a failed connection is tried again on the next request.
 *
 * @example
 * const ipam = new PostgresIpam('postgres://reflex@ipam.example.internal:5432/ipam');
 * await ipam.overlapping(['10.20.0.0/16']);
 */
export class PostgresIpam implements IpamPort {
  private db?: Promise<Db>;

  constructor(
    private readonly databaseUrl: string,
    private readonly open: (url: string) => Promise<Db> = (url) => openPostgres(url, { max: 2 }),
  ) {}

  async overlapping(cidrs: readonly string[]): Promise<IpamOverlap[]> {
    this.db ??= this.open(this.databaseUrl).catch((error: unknown) => {
      this.db = undefined;
      throw error;
    });
    try {
      const found = await vpcBlocksOverlapping(await this.db, cidrs);
      return found.map(({ cidr, block }) => ({ cidr, vpcId: block.vpcId, block: block.cidr, account: block.account, region: block.region }));
    } catch (error) {
      throw new ReflexError("reading the IPAM's VPC blocks failed", { cause: error });
    }
  }

  async close(): Promise<void> {
    const db = await this.db?.catch(() => undefined);
    this.db = undefined;
    await db?.close();
  }
}
