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
//	ID.data            the snapshot or delta, compressed with zstd, then encrypted in 1 MiB
//	                   AES-256-GCM chunks (STREAM-style nonces: reordering, truncation and
//	                   swapping files between backups are detected)
//	ID.manifest        format version, kind, parent, time, device, schema, counts, content hash,
//	                   audit head, and each file's size and hash before and after decoding,
//	                   MAC'd under a key derived from the backup key
//	ID.drill           the result of the automatic restore drill, MAC'd the same way
//
// A full backup streams the database's pages, read in the same read transaction as its
// Snapshot, through compression and encryption into the folder: no plaintext copy is written.
// Restore, check --read-data and the drill read each file once, checking both hashes as they
// decode and never decoding past the recorded size (format.go). Version 1 backups (written
// uncompressed) still restore.
//
// IDs are UUIDv7 strings: nothing in the folder, names included, reveals personal data.
// Restores go through store.Store (ApplyDelta, Verify), and every backup, drill and restore is
// audited. This package never logs and never decrypts a personal field.
package backup
