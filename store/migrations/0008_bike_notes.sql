-- Fit and service notes on a bike (saddle height, torque limits): personal data, sealed
-- under the customer's data key like the serial (store/schema.go classifies it).
ALTER TABLE bikes ADD COLUMN notes BLOB;
