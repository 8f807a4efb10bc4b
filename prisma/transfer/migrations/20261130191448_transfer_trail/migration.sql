-- The transfer trail (docs/adr/0013-the-transfer-trail.md): where each processed message was read, the
-- duplicate deliveries absorbed, the stale answers the state machine ignored, and one index to find a
-- transfer's outbox rows.

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

-- CreateTable
CREATE TABLE "stale_events" (
    "id" BIGSERIAL NOT NULL,
    "consumer" TEXT NOT NULL,
    "event_id" UUID NOT NULL,
    "event_type" TEXT NOT NULL,
    "transfer_id" UUID NOT NULL,
    "sequence" INTEGER NOT NULL,
    "transfer_version" INTEGER,
    "verdict" TEXT NOT NULL,
    "detail" TEXT,
    "topic" TEXT,
    "kafka_partition" INTEGER,
    "kafka_offset" BIGINT,
    "ignored_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "stale_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "absorbed_duplicates_aggregate_id_idx" ON "absorbed_duplicates"("aggregate_id");

-- CreateIndex
CREATE INDEX "absorbed_duplicates_absorbed_at_idx" ON "absorbed_duplicates"("absorbed_at");

-- CreateIndex
CREATE INDEX "stale_events_transfer_id_idx" ON "stale_events"("transfer_id");

-- CreateIndex
CREATE INDEX "stale_events_ignored_at_idx" ON "stale_events"("ignored_at");

-- CreateIndex
CREATE INDEX "outbox_messages_key_position_idx" ON "outbox_messages"("key", "position");
