-- AlterTable
ALTER TABLE "transfers" ADD COLUMN     "capture_amount_minor" BIGINT,
ADD COLUMN     "hold_expires_at" TIMESTAMPTZ(3),
ADD COLUMN     "refund_of" UUID;

-- CreateIndex
CREATE INDEX "transfers_held_expiry_idx" ON "transfers"("hold_expires_at") WHERE (status = 'HELD');

-- CreateIndex
CREATE INDEX "transfers_refund_of_idx" ON "transfers"("refund_of") WHERE (refund_of IS NOT NULL);

-- AddForeignKey
ALTER TABLE "transfers" ADD CONSTRAINT "transfers_refund_of_fkey" FOREIGN KEY ("refund_of") REFERENCES "transfers"("id") ON DELETE RESTRICT ON UPDATE RESTRICT;

-- Hand-written: what each kind of transfer carries. A hold has an expiry and is never a refund; a capture
-- amount exists only on a capturing or captured hold, within its amount; a refund is no hold.
CREATE FUNCTION "transfers_kind_rules"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW."hold_expires_at" IS NOT NULL AND NEW."refund_of" IS NOT NULL THEN
        RAISE EXCEPTION 'transfer % is a hold and a refund', NEW."id" USING ERRCODE = 'check_violation';
    END IF;
    IF NEW."hold_expires_at" IS NULL AND NEW."status" NOT IN ('PENDING', 'COMPLETED', 'FAILED') THEN
        RAISE EXCEPTION 'transfer % is no hold but %', NEW."id", NEW."status" USING ERRCODE = 'check_violation';
    END IF;
    IF NEW."hold_expires_at" IS NOT NULL AND NEW."status" = 'COMPLETED' THEN
        RAISE EXCEPTION 'hold % cannot be COMPLETED: it is captured', NEW."id" USING ERRCODE = 'check_violation';
    END IF;
    IF (NEW."capture_amount_minor" IS NOT NULL) <> (NEW."status" IN ('CAPTURING', 'CAPTURED'))
       OR NEW."capture_amount_minor" NOT BETWEEN 1 AND NEW."amount_minor" THEN
        RAISE EXCEPTION 'transfer % is % with capture amount %', NEW."id", NEW."status", NEW."capture_amount_minor"
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER "transfers_kind_rules" BEFORE INSERT OR UPDATE ON "transfers"
    FOR EACH ROW EXECUTE FUNCTION "transfers_kind_rules"();
