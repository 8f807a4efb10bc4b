-- An outbox row that fails past the relay's bound is PARKED; an operator may then DISCARD it (see
-- packages/messaging/src/outbox-parking.ts). The partial index that uses the new values is created by
-- the next migration: PostgreSQL refuses a new enum value in the transaction that added it.

-- AlterEnum
ALTER TYPE "outbox_status" ADD VALUE 'PARKED';
ALTER TYPE "outbox_status" ADD VALUE 'DISCARDED';

-- AlterTable
ALTER TABLE "outbox_messages" ADD COLUMN     "discard_reason" TEXT,
ADD COLUMN     "discarded_at" TIMESTAMPTZ(3),
ADD COLUMN     "parked_at" TIMESTAMPTZ(3);
