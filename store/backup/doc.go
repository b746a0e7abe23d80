// Package backup makes and restores Spoke's encrypted backups: full (a consistent snapshot),
// incremental (everything since the last backup of any kind) and differential (everything
// since the last full), each an encrypted, authenticated data file plus an authenticated
// manifest, in a backup folder (a USB disk or a network share).
//
// A backup folder holds:
//
//	spoke-backup.key   the folder's backup key wrapped by the master key, and the master key
//	                   wrapped by the recovery code (and the passphrase, where one is used),
//	                   so a lost machine's backups restore on a new one with the code alone
//	ID.data            the snapshot or delta, in 1 MiB AES-256-GCM chunks (STREAM-style nonces:
//	                   reordering, truncation and swapping files between backups are detected)
//	ID.manifest        kind, parent, time, device, schema, counts, content hash, audit head and
//	                   file hashes, MAC'd under a key derived from the backup key
//	ID.drill           the result of the automatic restore drill, MAC'd the same way
//
// IDs are UUIDv7 strings: nothing in the folder, names included, reveals personal data.
// Restores go through store.Store (ApplyDelta, Verify), and every backup, drill and restore is
// audited. This package never logs and never decrypts a personal field.
package backup
