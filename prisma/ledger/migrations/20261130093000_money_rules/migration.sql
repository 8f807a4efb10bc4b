-- Hand-written: the money rules the database can hold, so a bug in the code (or a person at a psql
-- prompt) cannot write a book the posting rules would refuse. They would be CHECK constraints, but the
-- WebAssembly schema engine that builds migrations panics on CHECK constraints (ADR 0005); row
-- triggers that raise check_violation (23514) have the same effect: the statement fails and its
-- transaction rolls back.
CREATE FUNCTION "journal_entries_money_rules"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW."amount_minor" <= 0 THEN
        RAISE EXCEPTION 'journal_entries.amount_minor must be positive, got %', NEW."amount_minor"
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW."currency" !~ '^[A-Z]{3}$' THEN
        RAISE EXCEPTION 'journal_entries.currency must be three capital letters, got %', NEW."currency"
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER "journal_entries_money_rules" BEFORE INSERT ON "journal_entries"
    FOR EACH ROW EXECUTE FUNCTION "journal_entries_money_rules"();

-- Only an account opened to go negative (a treasury or settlement account) may have a balance below zero.
CREATE FUNCTION "accounts_money_rules"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW."balance_minor" < 0 AND NOT NEW."allow_negative_balance" THEN
        RAISE EXCEPTION 'account % would have balance % without allow_negative_balance', NEW."id", NEW."balance_minor"
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW."currency" !~ '^[A-Z]{3}$' THEN
        RAISE EXCEPTION 'accounts.currency must be three capital letters, got %', NEW."currency"
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER "accounts_money_rules" BEFORE INSERT OR UPDATE ON "accounts"
    FOR EACH ROW EXECUTE FUNCTION "accounts_money_rules"();
