package backup

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"

	"golang.org/x/crypto/argon2"
)

// Key wrapping: the master secret sealed with AES-256-GCM under a key
// derived from a passphrase with argon2id (64 MiB, 3 passes: slow enough
// that an archive found on a stolen disk does not give the key up to a
// dictionary quickly).
const (
	wrapTime    = 3
	wrapMemory  = 64 * 1024
	wrapThreads = 1
)

// ErrPassphrase means the passphrase does not open the wrapped key.
var ErrPassphrase = errors.New("the passphrase does not open the secret key in this backup")

type wrapped struct {
	KDF        string `json:"kdf"`
	Time       uint32 `json:"t"`
	Memory     uint32 `json:"m"`
	Threads    uint8  `json:"p"`
	Salt       []byte `json:"salt"`
	Nonce      []byte `json:"nonce"`
	Ciphertext []byte `json:"ciphertext"`
}

func wrapAEAD(pass, salt []byte, t, m uint32, p uint8) (cipher.AEAD, error) {
	block, err := aes.NewCipher(argon2.IDKey(pass, salt, t, m, p, 32))
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// WrapKey seals key under passphrase.
func WrapKey(key, passphrase []byte) ([]byte, error) {
	if len(passphrase) < 12 {
		return nil, errors.New("the backup passphrase must be at least 12 characters")
	}
	w := wrapped{KDF: "argon2id", Time: wrapTime, Memory: wrapMemory, Threads: wrapThreads, Salt: make([]byte, 16)}
	rand.Read(w.Salt)
	aead, err := wrapAEAD(passphrase, w.Salt, w.Time, w.Memory, w.Threads)
	if err != nil {
		return nil, err
	}
	w.Nonce = make([]byte, aead.NonceSize())
	rand.Read(w.Nonce)
	w.Ciphertext = aead.Seal(nil, w.Nonce, key, []byte("kubu/backup-key"))
	return json.MarshalIndent(w, "", "  ")
}

// UnwrapKey opens what WrapKey sealed.
func UnwrapKey(b, passphrase []byte) ([]byte, error) {
	var w wrapped
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, fmt.Errorf("wrapped key: %w", err)
	}
	if w.KDF != "argon2id" || w.Time == 0 || w.Time > 16 || w.Memory > 1<<21 || w.Threads == 0 || len(w.Salt) < 16 {
		return nil, errors.New("wrapped key: unsupported parameters")
	}
	aead, err := wrapAEAD(passphrase, w.Salt, w.Time, w.Memory, w.Threads)
	if err != nil {
		return nil, err
	}
	if len(w.Nonce) != aead.NonceSize() {
		return nil, errors.New("wrapped key: bad nonce")
	}
	key, err := aead.Open(nil, w.Nonce, w.Ciphertext, []byte("kubu/backup-key"))
	if err != nil {
		return nil, ErrPassphrase
	}
	return key, nil
}
