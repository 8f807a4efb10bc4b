-- Hand-written: the transfers' money rules of 20261130093000_money_rules, and two more on UPDATE. What a
-- transfer is (who asked, between which accounts, how much, its expiry or the payment it refunds) never
-- changes, only its progress does; and a final status is final, with its reason and captured amount.
-- The state machine never does either; now a bug or a manual edit cannot either. The trigger stays; only
-- its function changes.
CREATE OR REPLACE FUNCTION "transfers_money_rules"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW."amount_minor" <= 0 THEN
        RAISE EXCEPTION 'transfers.amount_minor must be positive, got %', NEW."amount_minor"
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW."currency" !~ '^[A-Z]{3}$' THEN
        RAISE EXCEPTION 'transfers.currency must be three capital letters, got %', NEW."currency"
            USING ERRCODE = 'check_violation';
    END IF;
    -- On insert only: a same-account transfer accepted before the edge refused them may still finish.
    IF TG_OP = 'INSERT' AND NEW."from_account_id" = NEW."to_account_id" THEN
        RAISE EXCEPTION 'transfer % debits and credits the same account', NEW."id"
            USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF (NEW."id", NEW."client_id", NEW."from_account_id", NEW."to_account_id", NEW."amount_minor",
            NEW."currency", NEW."reference", NEW."correlation_id", NEW."created_at", NEW."hold_expires_at",
            NEW."refund_of")
           IS DISTINCT FROM
           (OLD."id", OLD."client_id", OLD."from_account_id", OLD."to_account_id", OLD."amount_minor",
            OLD."currency", OLD."reference", OLD."correlation_id", OLD."created_at", OLD."hold_expires_at",
            OLD."refund_of") THEN
            RAISE EXCEPTION 'transfer %: only its progress may change, not what it is', OLD."id"
                USING ERRCODE = 'check_violation';
        END IF;
        IF OLD."status" IN ('COMPLETED', 'FAILED', 'CAPTURED', 'VOIDED', 'EXPIRED')
           AND (NEW."status", NEW."failure_reason", NEW."capture_amount_minor")
               IS DISTINCT FROM (OLD."status", OLD."failure_reason", OLD."capture_amount_minor") THEN
            RAISE EXCEPTION 'transfer % already ended %; its outcome never changes', OLD."id", OLD."status"
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END;
$$;
