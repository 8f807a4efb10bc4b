-- CreateEnum
CREATE TYPE "entry_direction" AS ENUM ('DEBIT', 'CREDIT');

-- CreateEnum
CREATE TYPE "ledger_outcome" AS ENUM ('POSTED', 'REJECTED');

-- CreateTable
CREATE TABLE "accounts" (
    "id" UUID NOT NULL,
    "owner_client_id" TEXT NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "balance_minor" BIGINT NOT NULL DEFAULT 0,
    "allow_negative_balance" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "accounts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "journal_entries" (
    "id" BIGSERIAL NOT NULL,
    "transfer_id" UUID NOT NULL,
    "account_id" UUID NOT NULL,
    "direction" "entry_direction" NOT NULL,
    "amount_minor" BIGINT NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "posted_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "journal_entries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ledger_decisions" (
    "transfer_id" UUID NOT NULL,
    "outcome" "ledger_outcome" NOT NULL,
    "reason" TEXT,
    "decided_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "ledger_decisions_pkey" PRIMARY KEY ("transfer_id")
);

-- CreateIndex
CREATE INDEX "journal_entries_account_id_id_idx" ON "journal_entries"("account_id", "id");

-- CreateIndex
CREATE UNIQUE INDEX "journal_entries_transfer_id_direction_key" ON "journal_entries"("transfer_id", "direction");

-- AddForeignKey
ALTER TABLE "journal_entries" ADD CONSTRAINT "journal_entries_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE RESTRICT ON UPDATE RESTRICT;

-- Hand-written below: what Prisma's schema language cannot state, and the schema engine ignores.
-- The journal and the decisions are facts: a correction is a new transfer, never an edit, so the
-- database itself refuses to change or remove them, whatever code (or person) tries.
-- (Value checks such as positive amounts and currency codes live in the code and the posting rules:
-- the WebAssembly schema engine that builds migrations panics on CHECK constraints.)
CREATE FUNCTION "ledger_refuse_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER "journal_entries_append_only" BEFORE UPDATE OR DELETE ON "journal_entries"
    FOR EACH ROW EXECUTE FUNCTION "ledger_refuse_change"();
CREATE TRIGGER "journal_entries_no_truncate" BEFORE TRUNCATE ON "journal_entries"
    FOR EACH STATEMENT EXECUTE FUNCTION "ledger_refuse_change"();
CREATE TRIGGER "ledger_decisions_append_only" BEFORE UPDATE OR DELETE ON "ledger_decisions"
    FOR EACH ROW EXECUTE FUNCTION "ledger_refuse_change"();
CREATE TRIGGER "ledger_decisions_no_truncate" BEFORE TRUNCATE ON "ledger_decisions"
    FOR EACH STATEMENT EXECUTE FUNCTION "ledger_refuse_change"();
