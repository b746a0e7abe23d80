package store

import (
	"context"
	"errors"

	"spoke/crypto/keychain"
	"spoke/crypto/keys"
)

// Protection chooses where a database's master key is kept on this machine.
type Protection struct {
	Keychain       bool   // in the OS keychain (Options.Keychain), as init does where one answers
	Passphrase     string // else wrapped under this passphrase (Argon2id)
	PassphraseWrap []byte // else this wrap, made by another copy of the same database
}

// IsZero reports whether p chooses nothing (keep the header as it is).
func (p Protection) IsZero() bool {
	return !p.Keychain && p.Passphrase == "" && p.PassphraseWrap == nil
}

// Protect re-protects the master key as p says, replacing whatever the header held: a
// database restored on a new machine opens with this machine's keychain or the passphrase
// given now, and no longer with the old machine's passphrase. The change is audited.
func (s *Store) Protect(ctx context.Context, p Protection) error {
	var blob []byte
	keyStore := KeyStorePassphrase
	switch {
	case p.Keychain:
		keyStore = KeyStoreKeychain
		s.mu.RLock()
		err := s.opts.Keychain.Store(ctx, s.dbID, s.mk)
		s.mu.RUnlock()
		if err != nil {
			return err
		}
	case p.Passphrase != "":
		var err error
		s.mu.RLock()
		blob, err = keys.WrapWithPassphrase(s.mk, p.Passphrase, s.opts.KDF)
		s.mu.RUnlock()
		if err != nil {
			return err
		}
	case p.PassphraseWrap != nil:
		blob = p.PassphraseWrap
	default:
		return nil
	}
	err := s.write(ctx, systemActor(s), "keys.protect", func(w *wtx) error {
		w.audit.Detail = "key_store=" + keyStore
		w.settingChanged("keys.key_store", s.keyStore, keyStore)
		if blob == nil {
			if err := s.dropMeta(ctx, w.tx, metaMKPass); err != nil {
				return err
			}
		} else if err := s.putMeta(ctx, w.tx, metaMKPass, blob); err != nil {
			return err
		}
		return s.putMeta(ctx, w.tx, metaKeyStore, []byte(keyStore))
	})
	if err != nil {
		return err
	}
	s.keyStore = keyStore
	return nil
}

// ProbeKeychain reports whether the keychain of opts answers for a database id (an entry or
// "not found" both prove it works), before a restore spends minutes and then cannot keep the key.
func ProbeKeychain(ctx context.Context, opts Options, dbID string) error {
	opts.fill()
	_, err := opts.Keychain.Load(ctx, dbID)
	if err == nil || errors.Is(err, keychain.ErrNotFound) {
		return nil
	}
	return err
}

// SetPassphrase moves the master key from the keychain to a passphrase wrap, or changes the
// passphrase. It needs the store unlocked.
func (s *Store) SetPassphrase(ctx context.Context, passphrase string) error {
	s.mu.RLock()
	blob, err := keys.WrapWithPassphrase(s.mk, passphrase, s.opts.KDF)
	s.mu.RUnlock()
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := s.putMeta(ctx, tx, metaMKPass, blob); err != nil {
		return err
	}
	if err := s.putMeta(ctx, tx, metaKeyStore, []byte(KeyStorePassphrase)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	s.keyStore = KeyStorePassphrase
	return nil
}
