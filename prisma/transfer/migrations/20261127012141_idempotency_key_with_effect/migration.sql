-- A key is now written with its effect in one statement, so no request holds a key on its own any
-- more. An IN_FLIGHT claim never has an effect (the effect commits with COMPLETED): dropping it frees
-- the key for the client's retry, as its lock expiry would have.
DELETE FROM "idempotency_keys" WHERE "status" = 'IN_FLIGHT';

-- AlterTable
ALTER TABLE "idempotency_keys" DROP COLUMN "locked_until",
DROP COLUMN "status",
ALTER COLUMN "response_status" SET NOT NULL,
ALTER COLUMN "response_body" SET NOT NULL;

-- DropEnum
DROP TYPE "idempotency_key_status";
