-- Hand-written: the money rules of a transfer the database can hold (see the ledger's migration of the
-- same name for why these are triggers raising check_violation rather than CHECK constraints).
CREATE FUNCTION "transfers_money_rules"() RETURNS trigger LANGUAGE plpgsql AS $$
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
    RETURN NEW;
END;
$$;

CREATE TRIGGER "transfers_money_rules" BEFORE INSERT OR UPDATE ON "transfers"
    FOR EACH ROW EXECUTE FUNCTION "transfers_money_rules"();
