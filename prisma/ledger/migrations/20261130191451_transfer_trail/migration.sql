-- The transfer trail (docs/adr/0013-the-transfer-trail.md): where each processed message was read, the
-- duplicate deliveries absorbed, and one index to find a transfer's outbox rows.

-- AlterTable
ALTER TABLE "processed_messages" ADD COLUMN     "kafka_offset" BIGINT,
ADD COLUMN     "kafka_partition" INTEGER,
ADD COLUMN     "topic" TEXT;

-- CreateTable
CREATE TABLE "absorbed_duplicates" (
    "id" BIGSERIAL NOT NULL,
    "consumer" TEXT NOT NULL,
    "message_id" UUID NOT NULL,
    "aggregate_id" UUID NOT NULL,
    "topic" TEXT NOT NULL,
    "kafka_partition" INTEGER NOT NULL,
    "kafka_offset" BIGINT NOT NULL,
    "absorbed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "absorbed_duplicates_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "absorbed_duplicates_aggregate_id_idx" ON "absorbed_duplicates"("aggregate_id");

-- CreateIndex
CREATE INDEX "absorbed_duplicates_absorbed_at_idx" ON "absorbed_duplicates"("absorbed_at");

-- CreateIndex
CREATE INDEX "outbox_messages_key_position_idx" ON "outbox_messages"("key", "position");
