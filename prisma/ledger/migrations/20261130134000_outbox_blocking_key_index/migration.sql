-- The relay's per-key blocking probe reads only the rows that hold their key back: parked, or waiting
-- out a failed attempt. Empty while nothing fails.

-- CreateIndex
CREATE INDEX "outbox_messages_blocking_key_position_idx" ON "outbox_messages"("key", "position") WHERE (status = 'PARKED' OR (status = 'PENDING' AND attempts > 0));
