-- Hand-written: the holds' money rules of 20261130163324_holds_and_refunds, with one hole closed. Their
-- settlement condition compared captured_minor with BETWEEN, which is NULL for a NULL amount: the IF did
-- not fire, and a CAPTURED hold without a captured amount was kept. The trigger stays; only its function
-- changes.
CREATE OR REPLACE FUNCTION "holds_money_rules"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW."amount_minor" <= 0 THEN
        RAISE EXCEPTION 'holds.amount_minor must be positive, got %', NEW."amount_minor"
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW."currency" !~ '^[A-Z]{3}$' THEN
        RAISE EXCEPTION 'holds.currency must be three capital letters, got %', NEW."currency"
            USING ERRCODE = 'check_violation';
    END IF;
    -- (Not a CASE expression: PL/pgSQL would end the IF's condition at the CASE's first THEN.)
    -- COALESCE: a NULL compared is NULL, and IF NOT NULL does not fire, so a CAPTURED hold without a
    -- captured amount passed; whatever the condition cannot decide is refused.
    IF NOT COALESCE((NEW."status" = 'ACTIVE' AND NEW."captured_minor" IS NULL AND NEW."release" IS NULL
             AND NEW."settled_at" IS NULL)
         OR (NEW."status" = 'CAPTURED' AND NEW."captured_minor" BETWEEN 1 AND NEW."amount_minor"
             AND NEW."release" IS NULL AND NEW."settled_at" IS NOT NULL)
         OR (NEW."status" = 'RELEASED' AND NEW."captured_minor" IS NULL AND NEW."release" IS NOT NULL
             AND NEW."settled_at" IS NOT NULL), false) THEN
        RAISE EXCEPTION 'hold % is % with captured_minor %, release %, settled_at %', NEW."transfer_id",
            NEW."status", NEW."captured_minor", NEW."release", NEW."settled_at"
            USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF OLD."status" <> 'ACTIVE' THEN
            RAISE EXCEPTION 'hold % already ended %; it never changes again', OLD."transfer_id", OLD."status"
                USING ERRCODE = 'check_violation';
        END IF;
        IF (NEW."transfer_id", NEW."account_id", NEW."to_account_id", NEW."amount_minor", NEW."currency",
            NEW."expires_at", NEW."placed_at")
           IS DISTINCT FROM
           (OLD."transfer_id", OLD."account_id", OLD."to_account_id", OLD."amount_minor", OLD."currency",
            OLD."expires_at", OLD."placed_at") THEN
            RAISE EXCEPTION 'hold %: only its status and settlement may change', OLD."transfer_id"
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END;
$$;
