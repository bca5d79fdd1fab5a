/** One route of a Transit Gateway route table, as read now. */
export interface TgwRoute {
  readonly cidr: string;
  /** `static`: someone created it (Reflex or another); `propagated`: learned from an attachment. */
  readonly type: 'static' | 'propagated';
  readonly state: 'active' | 'blackhole';
  readonly attachmentId?: string;
}

/** A VPC CIDR of an attachment associated with, or propagating into, a route table. */
export interface AttachedCidr {
  readonly attachmentId: string;
  readonly vpcId: string;
  readonly cidr: string;
}

/** Result of a route write: done, checked only (dry-run), or refused because the table's route is not as expected. */
export type RouteWrite = 'done' | 'dry-run' | 'conflict';

/** Port: a Transit Gateway route table, read and changed. The adapter knows dry-run. */
export interface RouteTablePort {
  /** Every route of the table, static and propagated; undefined if there is no such table. */
  routes(tableId: string): Promise<TgwRoute[] | undefined>;
  /** The VPC CIDRs of the VPC attachments associated with or propagating into the table. */
  attachedCidrs(tableId: string): Promise<AttachedCidr[]>;
  create(tableId: string, cidr: string, attachmentId: string): Promise<RouteWrite>;
  replace(tableId: string, cidr: string, attachmentId: string): Promise<RouteWrite>;
  remove(tableId: string, cidr: string): Promise<RouteWrite>;
}

/** A route Reflex created for a caller: only these are ever changed or deleted. */
export interface ManagedRoute {
  readonly tableId: string;
  readonly cidr: string;
  readonly attachmentId: string;
  /** The IAM principal whose request set it. */
  readonly setBy: string;
  readonly setAt: string;
  readonly idempotencyKey: string;
  readonly requestId: string;
}

/** Port: the record of the routes Reflex manages (the reflex's state table), and a write lease per route table. */
export interface ManagedRoutesPort {
  list(tableId: string): Promise<ManagedRoute[]>;
  put(route: ManagedRoute): Promise<void>;
  remove(tableId: string, cidr: string): Promise<void>;
  lease(key: string, holder: string, until: Date, now: Date): Promise<boolean>;
  release(key: string, holder: string): Promise<void>;
}

/** A VPC block of the IPAM's records that a route's CIDR overlaps. */
export interface IpamOverlap {
  readonly cidr: string;
  readonly vpcId: string;
  readonly block: string;
  readonly account: string;
  readonly region: string;
}

/** Port: the IPAM's golden records, asked which VPC blocks overlap some CIDRs. */
export interface IpamPort {
  overlapping(cidrs: readonly string[]): Promise<IpamOverlap[]>;
}
