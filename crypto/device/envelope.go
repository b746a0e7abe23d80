package device

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"strconv"

	"spoke/crypto/keys"
	"spoke/crypto/seal"
)

// Key envelopes are HPKE base mode (or sealed under an enrolment secret), which says nothing
// about who sealed them: anyone holding a device's public key, the hub included, can seal a
// key to it. So every envelope is also signed by the owner device that made it, and the
// receiver checks the signer against the owner-signed roster before importing the key.
//
// A signed envelope is: 0x02, the signer's id (one length byte, then the id), the Ed25519
// signature (64 bytes), then the sealed bytes. The signature covers the recipient, scope,
// version, signer and the sealed bytes, so an envelope cannot be readdressed or re-versioned.

const signedEnvelopeVersion = 2

// ErrUnsigned means an envelope carries no well-formed owner signature.
var ErrUnsigned = errors.New("key envelope is not signed by a device")

func envelopeMessage(to, scope string, version uint32, signer string, sealed []byte) []byte {
	m := seal.Label("spoke/envelope-signature/v1", to, scope, strconv.FormatUint(uint64(version), 10), signer)
	return append(m, sealed...)
}

// SignEnvelope wraps sealed bytes addressed to (to, scope, version) with signer's signature.
func SignEnvelope(signerID string, key ed25519.PrivateKey, to, scope string, version uint32, sealed []byte) []byte {
	sig := ed25519.Sign(key, envelopeMessage(to, scope, version, signerID, sealed))
	out := make([]byte, 0, 2+len(signerID)+len(sig)+len(sealed))
	out = append(out, signedEnvelopeVersion, byte(len(signerID)))
	out = append(out, signerID...)
	out = append(out, sig...)
	return append(out, sealed...)
}

// EnvelopeSigner returns who claims to have signed an envelope, without checking anything.
func EnvelopeSigner(b []byte) (string, error) {
	signer, _, _, err := splitEnvelope(b)
	return signer, err
}

func splitEnvelope(b []byte) (signer string, sig, sealed []byte, err error) {
	if len(b) < 2 || b[0] != signedEnvelopeVersion {
		return "", nil, nil, ErrUnsigned
	}
	n := int(b[1])
	if n == 0 || len(b) < 2+n+ed25519.SignatureSize+1 {
		return "", nil, nil, ErrUnsigned
	}
	signer = string(b[2 : 2+n])
	sig = b[2+n : 2+n+ed25519.SignatureSize]
	sealed = b[2+n+ed25519.SignatureSize:]
	return signer, sig, sealed, nil
}

// VerifyEnvelope checks the signature of a signed envelope under the signer's public key and
// returns the sealed bytes inside.
func VerifyEnvelope(b []byte, signerKey ed25519.PublicKey, to, scope string, version uint32) ([]byte, error) {
	signer, sig, sealed, err := splitEnvelope(b)
	if err != nil {
		return nil, err
	}
	if len(signerKey) != ed25519.PublicKeySize || !ed25519.Verify(signerKey, envelopeMessage(to, scope, version, signer, sealed), sig) {
		return nil, ErrEnvelope
	}
	return sealed, nil
}

// The enrolment proof binds a new device's public keys to the one-time secret of its
// enrolment code, which the hub never sees. The new device sends it through the hub; the
// owner device that issued the code checks it before it signs the device into the roster, so
// a hub that enrolled its own keys under the token cannot get them pinned.

const proofVersion = 1

// EnrollProof returns the proof for a device's keys under an enrolment secret.
func EnrollProof(secret []byte, tokenID, deviceID string, signingKey, kemKey []byte) []byte {
	mac := hmac.New(sha256.New, keys.Derive(secret, "spoke/enrolment-proof/v1"))
	mac.Write(seal.Label(tokenID, deviceID, string(signingKey), string(kemKey)))
	return append([]byte{proofVersion}, mac.Sum(nil)...)
}

// CheckEnrollProof reports whether proof is EnrollProof of these values.
func CheckEnrollProof(proof, secret []byte, tokenID, deviceID string, signingKey, kemKey []byte) bool {
	if len(secret) < 16 {
		return false
	}
	return hmac.Equal(proof, EnrollProof(secret, tokenID, deviceID, signingKey, kemKey))
}
