/**
 * Cheaper writes, same data and the same guarantees.
 * - Most batches move the `last_seen` of every network they mention: free room on each networks page lets
 *   PostgreSQL update those rows in place (HOT), without new index entries.
 * - Foreign keys check and lock the referenced row once per written row; a batch writes hundreds of
 *   interfaces and addresses, and locking the network rows that every batch also updates cost the most.
 *   They give way to:
 *   - statement-level checks, set-wise, once per statement: every interface written belongs to a stored
 *     device, every address written to a stored interface (`interfaces.network_id` and
 *     `addresses.instance_id` are lookups and history beside those links, as before never dangling: the
 *     rows they name are never deleted);
 *   - golden records are never deleted, which the foreign keys only implied: devices are decommissioned,
 *     interfaces detached, addresses released, networks marked deleted. DELETE on them fails (TRUNCATE,
 *     for tests and a deliberate reset, still empties them).
 * - The store's plans never use statistics of jsonb documents, and gathering them was most of the cost of
 *   an ANALYZE (which PGlite, without autovacuum, runs itself as tables grow).
 */
export const writePath = `
ALTER TABLE networks SET (fillfactor = 50);
ALTER TABLE history ALTER COLUMN change SET STATISTICS 0;
ALTER TABLE devices ALTER COLUMN tags SET STATISTICS 0;

ALTER TABLE interfaces DROP CONSTRAINT interfaces_instance_id_fkey;
ALTER TABLE interfaces DROP CONSTRAINT interfaces_network_id_fkey;
ALTER TABLE addresses DROP CONSTRAINT addresses_interface_id_fkey;
ALTER TABLE addresses DROP CONSTRAINT addresses_instance_id_fkey;

CREATE FUNCTION ipam_never_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'IPAM % are never deleted: devices are decommissioned, interfaces detached, addresses released, networks marked deleted', TG_TABLE_NAME
    USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER never_deleted BEFORE DELETE ON devices FOR EACH STATEMENT EXECUTE FUNCTION ipam_never_deleted();
CREATE TRIGGER never_deleted BEFORE DELETE ON interfaces FOR EACH STATEMENT EXECUTE FUNCTION ipam_never_deleted();
CREATE TRIGGER never_deleted BEFORE DELETE ON addresses FOR EACH STATEMENT EXECUTE FUNCTION ipam_never_deleted();
CREATE TRIGGER never_deleted BEFORE DELETE ON networks FOR EACH STATEMENT EXECUTE FUNCTION ipam_never_deleted();

CREATE FUNCTION ipam_interfaces_have_devices() RETURNS trigger LANGUAGE plpgsql SET enable_seqscan = off AS $$
DECLARE
  ids text[];
  orphan record;
BEGIN
  -- Counted through the primary key (= ANY; the function runs with enable_seqscan off): a table without
  -- statistics yet (a new server, before autovacuum) would otherwise be scanned, each row against each id.
  SELECT array_agg(DISTINCT instance_id) INTO ids FROM written;
  IF ids IS NULL OR (SELECT count(*) FROM devices WHERE instance_id = ANY (ids)) = cardinality(ids) THEN
    RETURN NULL;
  END IF;
  SELECT w.interface_id, w.instance_id INTO orphan FROM written w
  WHERE NOT EXISTS (SELECT 1 FROM devices d WHERE d.instance_id = w.instance_id) LIMIT 1;
  RAISE EXCEPTION 'interface % names instance %, which is not a stored device', orphan.interface_id, orphan.instance_id
    USING ERRCODE = 'foreign_key_violation';
END $$;
CREATE TRIGGER have_devices AFTER INSERT ON interfaces REFERENCING NEW TABLE AS written
  FOR EACH STATEMENT EXECUTE FUNCTION ipam_interfaces_have_devices();
CREATE TRIGGER have_devices_updated AFTER UPDATE ON interfaces REFERENCING NEW TABLE AS written
  FOR EACH STATEMENT EXECUTE FUNCTION ipam_interfaces_have_devices();

CREATE FUNCTION ipam_addresses_have_interfaces() RETURNS trigger LANGUAGE plpgsql SET enable_seqscan = off AS $$
DECLARE
  ids text[];
  orphan record;
BEGIN
  SELECT array_agg(DISTINCT interface_id) INTO ids FROM written;
  IF ids IS NULL OR (SELECT count(*) FROM interfaces WHERE interface_id = ANY (ids)) = cardinality(ids) THEN
    RETURN NULL;
  END IF;
  SELECT w.address, w.interface_id INTO orphan FROM written w
  WHERE NOT EXISTS (SELECT 1 FROM interfaces i WHERE i.interface_id = w.interface_id) LIMIT 1;
  RAISE EXCEPTION 'address % names interface %, which is not stored', host(orphan.address), orphan.interface_id
    USING ERRCODE = 'foreign_key_violation';
END $$;
CREATE TRIGGER have_interfaces AFTER INSERT ON addresses REFERENCING NEW TABLE AS written
  FOR EACH STATEMENT EXECUTE FUNCTION ipam_addresses_have_interfaces();
CREATE TRIGGER have_interfaces_updated AFTER UPDATE ON addresses REFERENCING NEW TABLE AS written
  FOR EACH STATEMENT EXECUTE FUNCTION ipam_addresses_have_interfaces();
`;
