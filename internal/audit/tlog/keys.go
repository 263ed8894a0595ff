package tlog

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// KeyName is the signed-note key name kubu signs audit checkpoints with.
const KeyName = "kubu-audit"

// Fingerprint is how kubu names a public key to people: "SHA256:" and the
// lower-case hex SHA-256 of the 32 raw ed25519 public key bytes.
func Fingerprint(pub ed25519.PublicKey) string {
	s := sha256.Sum256(pub)
	return "SHA256:" + hex.EncodeToString(s[:])
}

// PublicKey is a named ed25519 verifier key.
type PublicKey struct {
	Name     string
	Key      ed25519.PublicKey
	verifier note.Verifier
}

// NewPublicKey names pub.
func NewPublicKey(name string, pub ed25519.PublicKey) (*PublicKey, error) {
	vkey, err := note.NewEd25519VerifierKey(name, pub)
	if err != nil {
		return nil, err
	}
	return ParsePublicKey(vkey)
}

// ParsePublicKey parses a verifier key in the signed-note form
// "<name>+<8 hex digits of key hash>+<base64 of 0x01 || 32 key bytes>"
// (what `go doc golang.org/x/mod/sumdb/note` calls a verifier key).
func ParsePublicKey(vkey string) (*PublicKey, error) {
	vkey = strings.TrimSpace(vkey)
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("%w public key: %v", ErrMalformed, err)
	}
	parts := strings.SplitN(vkey, "+", 3)
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 1+ed25519.PublicKeySize || raw[0] != 1 {
		return nil, fmt.Errorf("%w public key: not an ed25519 key", ErrMalformed)
	}
	return &PublicKey{Name: v.Name(), Key: ed25519.PublicKey(raw[1:]), verifier: v}, nil
}

// String is the verifier key text (see ParsePublicKey).
func (k *PublicKey) String() string {
	s, _ := note.NewEd25519VerifierKey(k.Name, k.Key)
	return s
}

// Fingerprint is Fingerprint(k.Key).
func (k *PublicKey) Fingerprint() string { return Fingerprint(k.Key) }

// Signer signs notes with an ed25519 private key under a key name.
type Signer struct {
	name string
	hash uint32
	key  ed25519.PrivateKey
}

// NewSigner returns a note signer for key under name.
func NewSigner(name string, key ed25519.PrivateKey) (*Signer, error) {
	pub, err := NewPublicKey(name, key.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, err
	}
	return &Signer{name: name, hash: pub.verifier.KeyHash(), key: key}, nil
}

// Name implements note.Signer.
func (s *Signer) Name() string { return s.name }

// KeyHash implements note.Signer.
func (s *Signer) KeyHash() uint32 { return s.hash }

// Sign implements note.Signer.
func (s *Signer) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(s.key, msg), nil }

// Public returns the signer's public key.
func (s *Signer) Public() *PublicKey {
	k, _ := NewPublicKey(s.name, s.key.Public().(ed25519.PublicKey))
	return k
}
