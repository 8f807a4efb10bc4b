-- A replay must answer the original body byte for byte. jsonb reorders an object's keys (shorter keys
-- first); json keeps the text as written. Rows stored before keep the order jsonb gave them.
-- AlterTable
ALTER TABLE "idempotency_keys" ALTER COLUMN "response_body" SET DATA TYPE JSON USING "response_body"::json;
