-- DropIndex
DROP INDEX "outbox_messages_status_next_attempt_at_position_idx";

-- CreateIndex
CREATE INDEX "outbox_messages_status_position_idx" ON "outbox_messages"("status", "position");
