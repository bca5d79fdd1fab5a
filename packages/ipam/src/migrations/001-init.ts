/** The golden records: networks, devices, interfaces, addresses and their history. */
export const init = `
CREATE TABLE networks (
  id          bigserial PRIMARY KEY,
  kind        text NOT NULL CHECK (kind IN ('vpc', 'subnet')),
  resource_id text NOT NULL,
  vpc_id      text NOT NULL,
  cidr        cidr NOT NULL,
  parent_id   bigint REFERENCES networks (id),
  account     text NOT NULL,
  region      text NOT NULL,
  first_seen  timestamptz NOT NULL,
  last_seen   timestamptz NOT NULL,
  UNIQUE (resource_id, cidr)
);
CREATE INDEX networks_cidr_gist ON networks USING gist (cidr inet_ops);
CREATE INDEX networks_parent ON networks (parent_id);

CREATE TABLE devices (
  instance_id       text PRIMARY KEY,
  account           text NOT NULL,
  region            text NOT NULL,
  state             text NOT NULL,
  instance_type     text,
  architecture      text,
  cpu_cores         integer,
  availability_zone text,
  launch_time       timestamptz,
  name              text,
  tags              jsonb NOT NULL DEFAULT '{}',
  first_seen        timestamptz NOT NULL,
  last_seen         timestamptz NOT NULL,
  decommissioned_at timestamptz,
  version           bigint NOT NULL
);

CREATE TABLE interfaces (
  interface_id text PRIMARY KEY,
  instance_id  text NOT NULL REFERENCES devices (instance_id),
  subnet_id    text NOT NULL,
  vpc_id       text NOT NULL,
  network_id   bigint REFERENCES networks (id),
  mac_address  text,
  first_seen   timestamptz NOT NULL,
  detached_at  timestamptz
);
CREATE INDEX interfaces_instance ON interfaces (instance_id);
CREATE INDEX interfaces_subnet ON interfaces (subnet_id);

CREATE TABLE addresses (
  id           bigserial PRIMARY KEY,
  address      inet NOT NULL,
  kind         text NOT NULL CHECK (kind IN ('private', 'public', 'ipv6')),
  interface_id text NOT NULL REFERENCES interfaces (interface_id),
  instance_id  text NOT NULL REFERENCES devices (instance_id),
  assigned_at  timestamptz NOT NULL,
  released_at  timestamptz
);
-- One live row per address on an interface; released rows stay as history.
CREATE UNIQUE INDEX addresses_live ON addresses (interface_id, address, kind) WHERE released_at IS NULL;
CREATE INDEX addresses_inet_gist ON addresses USING gist (address inet_ops);
CREATE INDEX addresses_instance ON addresses (instance_id);

CREATE TABLE history (
  id          bigserial PRIMARY KEY,
  instance_id text NOT NULL,
  version     bigint NOT NULL,
  outcome     text NOT NULL CHECK (outcome IN ('applied', 'ignored')),
  change      jsonb NOT NULL,
  at          timestamptz NOT NULL DEFAULT now(),
  UNIQUE (instance_id, version)
);
`;
