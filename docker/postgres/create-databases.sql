-- One database per service: nothing talks to another service's database.
CREATE DATABASE oncepay_transfer;
CREATE DATABASE oncepay_ledger;
CREATE DATABASE oncepay_notification;
