// Package keys holds kubu's master secret and derives the purpose-bound keys
// from it: the audit log's MAC key and checkpoint signing key, the key that
// encrypts secrets at rest (TOTP seeds, attachments), and so on.
//
// The master secret is 32 random bytes. It comes from configuration
// (KUBU_SECRET_KEY or KUBU_SECRET_KEY_FILE) or, when none is given, from
// DATA/secret.key, created on first use. Several kubu nodes sharing one
// PostgreSQL database must share the master secret.
package keys

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Ring is a master secret and the keys derived from it.
type Ring struct {
	master []byte
}

// New returns a ring over a master secret of at least 32 bytes.
func New(master []byte) (*Ring, error) {
	if len(master) < 32 {
		return nil, fmt.Errorf("secret key must be at least 32 bytes, got %d", len(master))
	}
	return &Ring{master: append([]byte(nil), master...)}, nil
}

// Parse decodes a master secret written as 64 hex digits or base64.
func Parse(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) >= 32 {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) >= 32 {
			return b, nil
		}
	}
	return nil, errors.New("secret key must be at least 32 bytes written as hex (64 digits) or base64")
}

// LoadOrCreate reads DATA/secret.key, creating it with a fresh random
// secret (mode 0600) when absent.
func LoadOrCreate(dataDir string) (*Ring, error) {
	path := filepath.Join(dataDir, "secret.key")
	b, err := os.ReadFile(path)
	if err == nil {
		m, err := Parse(string(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return New(m)
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	m := make([]byte, 32)
	rand.Read(m)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) { // another process won the race
		return LoadOrCreate(dataDir)
	}
	if err != nil {
		return nil, err
	}
	if _, err := f.WriteString(hex.EncodeToString(m) + "\n"); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	return New(m)
}

// Derive returns n bytes bound to purpose.
func (r *Ring) Derive(purpose string, n int) []byte {
	k, err := hkdf.Key(sha256.New, r.master, nil, "kubu/"+purpose, n)
	if err != nil {
		panic(err) // only for n out of range, a programming error
	}
	return k
}

// SigningKey returns the ed25519 key for purpose.
func (r *Ring) SigningKey(purpose string) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(r.Derive("sign/"+purpose, ed25519.SeedSize))
}

// Sealer returns an AES-256-GCM sealer bound to purpose.
func (r *Ring) Sealer(purpose string) *Sealer {
	block, err := aes.NewCipher(r.Derive("seal/"+purpose, 32))
	if err != nil {
		panic(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return &Sealer{aead: aead}
}

// Sealer encrypts and authenticates small secrets and files.
type Sealer struct{ aead cipher.AEAD }

// Seal encrypts plaintext; ad binds it to its context (e.g. a record id).
func (s *Sealer) Seal(plaintext, ad []byte) []byte {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plaintext)+s.aead.Overhead())
	rand.Read(nonce)
	return s.aead.Seal(nonce, nonce, plaintext, ad)
}

// Open decrypts what Seal made with the same ad.
func (s *Sealer) Open(sealed, ad []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() {
		return nil, errors.New("sealed value too short")
	}
	return s.aead.Open(nil, sealed[:n], sealed[n:], ad)
}

// SealString seals a string to base64 text for a TEXT column.
func (s *Sealer) SealString(plaintext, ad string) string {
	return base64.RawStdEncoding.EncodeToString(s.Seal([]byte(plaintext), []byte(ad)))
}

// OpenString reverses SealString.
func (s *Sealer) OpenString(sealed, ad string) (string, error) {
	b, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil {
		return "", err
	}
	p, err := s.Open(b, []byte(ad))
	return string(p), err
}
