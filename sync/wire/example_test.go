package wire_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"

	"spoke/sync/wire"
)

func ExampleSeal() {
	// In the app these come from the key hierarchy and the device identity;
	// fixed ones keep the example's output stable.
	scopeKey := sha256.Sum256([]byte("example scope key, version 3"))
	devicePriv := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	devicePub := devicePriv.Public().(ed25519.PublicKey)
	const shop = "0193a5c2-7e41-7b3a-9c1d-5f2e8a6b4c10"
	const device = "0193a5c2-7e41-7b3a-9c1d-5f2e8a6b4d21"

	status, _ := wire.ValueOf("ready")
	cs := &wire.ChangeSet{
		Header: wire.Header{Version: 1, Scope: shop, Device: device, Seq: 17, KeyVersion: 3},
		Changes: []wire.Change{
			{HLC: 1732851234567 << 16, Device: device, Table: "work_orders", RowID: "w-1", Column: "status", Value: status},
			{HLC: 1732851234567<<16 | 1, Device: device, Table: "customers", RowID: "c-1", Column: "phone",
				Value: wire.Value{Kind: wire.KindBlob, Blob: []byte("\x01...field ciphertext...")}, Sealed: true},
		},
	}
	sealed, err := wire.Seal(cs, scopeKey[:], devicePriv)
	if err != nil {
		fmt.Println(err)
		return
	}

	// The hub: reads the clear header and checks the signature, nothing more.
	h, _ := wire.ParseHeader(sealed)
	fmt.Printf("hub sees scope=%s… seq=%d key v%d, signature ok: %v\n",
		h.Scope[:8], h.Seq, h.KeyVersion, wire.VerifySignature(sealed, devicePub) == nil)

	// Another device of the shop: opens it with the sender's public key and
	// its copy of the scope key the header names.
	opened, err := wire.Open(sealed, devicePub, func(scope string, version uint32) ([]byte, error) {
		if scope != shop || version != 3 {
			return nil, fmt.Errorf("no key for that scope version")
		}
		return scopeKey[:], nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range opened.Changes {
		fmt.Printf("%s.%s sealed=%v %v\n", c.Table, c.Column, c.Sealed, c.Value.Kind)
	}
	fmt.Println(opened.Changes[0].Value.Any())
	// Output:
	// hub sees scope=0193a5c2… seq=17 key v3, signature ok: true
	// work_orders.status sealed=false 2
	// customers.phone sealed=true 3
	// ready
}
