-- CreateEnum
CREATE TYPE "hold_status" AS ENUM ('ACTIVE', 'CAPTURED', 'RELEASED');

-- CreateEnum
CREATE TYPE "hold_release" AS ENUM ('VOID', 'EXPIRY');

-- AlterEnum
ALTER TYPE "ledger_outcome" ADD VALUE 'HELD';

-- AlterTable
ALTER TABLE "accounts" ADD COLUMN     "held_minor" BIGINT NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "ledger_decisions" ADD COLUMN     "refund_of" UUID;

-- CreateTable
CREATE TABLE "holds" (
    "transfer_id" UUID NOT NULL,
    "account_id" UUID NOT NULL,
    "to_account_id" UUID NOT NULL,
    "amount_minor" BIGINT NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "status" "hold_status" NOT NULL DEFAULT 'ACTIVE',
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "captured_minor" BIGINT,
    "release" "hold_release",
    "placed_at" TIMESTAMPTZ(3) NOT NULL,
    "settled_at" TIMESTAMPTZ(3),

    CONSTRAINT "holds_pkey" PRIMARY KEY ("transfer_id")
);

-- CreateIndex
CREATE INDEX "holds_active_account_idx" ON "holds"("account_id") WHERE (status = 'ACTIVE');

-- CreateIndex
CREATE INDEX "ledger_decisions_refund_of_idx" ON "ledger_decisions"("refund_of") WHERE (refund_of IS NOT NULL);

-- AddForeignKey
ALTER TABLE "holds" ADD CONSTRAINT "holds_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE RESTRICT ON UPDATE RESTRICT;

-- AddForeignKey
ALTER TABLE "holds" ADD CONSTRAINT "holds_to_account_id_fkey" FOREIGN KEY ("to_account_id") REFERENCES "accounts"("id") ON DELETE RESTRICT ON UPDATE RESTRICT;

-- Hand-written: the money rules of a hold, as triggers raising check_violation (see 20261130093000_money_rules for why
-- not CHECK constraints): a positive amount; ACTIVE carries no settlement, CAPTURED carries a captured
-- amount of 1..amount and no release, RELEASED carries a release and no captured amount; and a hold that
-- ended never changes again, so it cannot be captured after it was released, or twice.
CREATE FUNCTION "holds_money_rules"() RETURNS trigger LANGUAGE plpgsql AS $$
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
    IF NOT ((NEW."status" = 'ACTIVE' AND NEW."captured_minor" IS NULL AND NEW."release" IS NULL
             AND NEW."settled_at" IS NULL)
         OR (NEW."status" = 'CAPTURED' AND NEW."captured_minor" BETWEEN 1 AND NEW."amount_minor"
             AND NEW."release" IS NULL AND NEW."settled_at" IS NOT NULL)
         OR (NEW."status" = 'RELEASED' AND NEW."captured_minor" IS NULL AND NEW."release" IS NOT NULL
             AND NEW."settled_at" IS NOT NULL)) THEN
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

CREATE TRIGGER "holds_money_rules" BEFORE INSERT OR UPDATE ON "holds"
    FOR EACH ROW EXECUTE FUNCTION "holds_money_rules"();

-- A hold is never deleted: it is the record of what was reserved, captured and released.
CREATE FUNCTION "holds_never_deleted"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'holds are never deleted' USING ERRCODE = 'check_violation';
END;
$$;

CREATE TRIGGER "holds_never_deleted" BEFORE DELETE OR TRUNCATE ON "holds"
    FOR EACH STATEMENT EXECUTE FUNCTION "holds_never_deleted"();

-- The accounts' rule grows a second half: the held amount is never negative, and the AVAILABLE balance
-- (balance - held) stays at or above zero unless the account may go negative. So no debit and no new
-- hold can spend money a hold reserved.
CREATE OR REPLACE FUNCTION "accounts_money_rules"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW."held_minor" < 0 THEN
        RAISE EXCEPTION 'account % would hold %, below zero', NEW."id", NEW."held_minor"
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW."balance_minor" - NEW."held_minor" < 0 AND NOT NEW."allow_negative_balance" THEN
        RAISE EXCEPTION 'account % would have available balance % (balance %, held %) without allow_negative_balance',
            NEW."id", NEW."balance_minor" - NEW."held_minor", NEW."balance_minor", NEW."held_minor"
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW."currency" !~ '^[A-Z]{3}$' THEN
        RAISE EXCEPTION 'accounts.currency must be three capital letters, got %', NEW."currency"
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;

-- A refund's decision names its payment; a hold's decision is HELD and names none.
CREATE FUNCTION "ledger_decisions_refund_rules"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW."refund_of" IS NOT NULL AND NEW."outcome" = 'HELD' THEN
        RAISE EXCEPTION 'decision %: a hold is not a refund', NEW."transfer_id" USING ERRCODE = 'check_violation';
    END IF;
    IF NEW."refund_of" = NEW."transfer_id" THEN
        RAISE EXCEPTION 'decision %: a transfer cannot refund itself', NEW."transfer_id" USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER "ledger_decisions_refund_rules" BEFORE INSERT ON "ledger_decisions"
    FOR EACH ROW EXECUTE FUNCTION "ledger_decisions_refund_rules"();
