package protocol

import (
	"crypto/ed25519"
	"encoding/binary"
	"time"
)

// Checkpoint is the head of a device's audit hash chain at one sequence
// number, signed by that device, so an entry deleted or edited later on the
// device no longer matches what the hub holds.
type Checkpoint struct {
	Device     string
	Seq        uint64
	Head       []byte
	Signature  []byte // Ed25519 over CheckpointMessage(Device, Seq, Head)
	ReceivedAt time.Time
}

// checkpointContext separates checkpoint signatures from every other use of
// a device's Ed25519 key (change-sets start with "SPKCS").
const checkpointContext = "spoke/audit-checkpoint/v1\x00"

// CheckpointMessage is what a device signs for an audit checkpoint: a fixed
// context string, the device id (length-prefixed), the sequence number and
// the chain head. Spokes sign exactly these bytes; the hub verifies them.
func CheckpointMessage(device string, seq uint64, head []byte) []byte {
	m := make([]byte, 0, len(checkpointContext)+2+len(device)+8+len(head))
	m = append(m, checkpointContext...)
	m = binary.BigEndian.AppendUint16(m, uint16(len(device)))
	m = append(m, device...)
	m = binary.BigEndian.AppendUint64(m, seq)
	return append(m, head...)
}

// SignCheckpoint returns a checkpoint signed with the device's key.
func SignCheckpoint(device string, seq uint64, head []byte, key ed25519.PrivateKey) Checkpoint {
	return Checkpoint{
		Device:    device,
		Seq:       seq,
		Head:      append([]byte(nil), head...),
		Signature: ed25519.Sign(key, CheckpointMessage(device, seq, head)),
	}
}

// VerifyCheckpoint checks a checkpoint's signature with the device's key.
func VerifyCheckpoint(c Checkpoint, pub ed25519.PublicKey) bool {
	return len(pub) == ed25519.PublicKeySize && len(c.Signature) == ed25519.SignatureSize &&
		ed25519.Verify(pub, CheckpointMessage(c.Device, c.Seq, c.Head), c.Signature)
}
