-- Hand-written. The outbox operator (`npm run outbox`, scripts/db/roles.ts) holds a column grant on
-- outbox_messages, and a column grant has no row limit: alone, it would let the operator mark a
-- PENDING row SENT or DISCARDED, and the relay would never publish it (an event lost, a transfer
-- stuck). What the operator is for is narrower, and held here: a PARKED row goes back to PENDING
-- (release) or on to DISCARDED (discard), nothing else. The WHEN keeps every other role's update (the
-- relay marks rows SENT in bulk) free of a trigger call. The role's name is scripts/infra/services.ts'
-- outboxOperatorRoleOf('ledger').
CREATE FUNCTION "outbox_messages_operator_refused"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the outbox operator may only release or discard a PARKED row; row % is %, asked %',
        OLD."position", OLD."status", NEW."status"
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER "outbox_messages_operator_parked_rows_only" BEFORE UPDATE ON "outbox_messages"
    FOR EACH ROW
    WHEN (current_user = 'oncepay_ledger_outbox_operator'
          AND NOT (OLD."status" = 'PARKED' AND NEW."status" IN ('PENDING', 'DISCARDED')))
    EXECUTE FUNCTION "outbox_messages_operator_refused"();
